// The home field's type-ahead: the places of the person's country matching what is typed
// (municipality or department, accents and case ignored), the DPI's municipality first. Arrow
// keys move through the list, Enter chooses, Escape closes; the chosen place's code goes into
// the hidden field, and typing again clears it. The list only ever shows the places for the
// text as it is now: typing closes it until the answer for the new text arrives.
(() => {
  const box = document.querySelector(".combobox[data-places]");
  if (!box) return;
  const input = box.querySelector("input[role=combobox]");
  const code = box.querySelector("input[type=hidden]");
  const list = box.querySelector("[role=listbox]");
  const status = box.querySelector("[aria-live]");
  const form = input.form;
  let options = [];
  let active = -1;
  let asked = 0;
  let waiting = false; // a lookup is on its way: what the list shows is for older text

  const field = (name) => form.querySelector(`[name=${name}]`);
  const dpi = () => (field("document_type")?.value === "DPI" ? field("document_number")?.value || "" : "");

  function close() {
    list.hidden = true;
    input.setAttribute("aria-expanded", "false");
    input.removeAttribute("aria-activedescendant");
    active = -1;
  }

  function show(found) {
    options = found;
    list.replaceChildren(
      ...found.map((place, n) => {
        const li = document.createElement("li");
        li.id = `home-option-${n}`;
        li.setAttribute("role", "option");
        li.textContent = place.label + (place.from_dpi ? ` · ${box.dataset.fromDpi || "DPI"}` : "");
        li.addEventListener("mousedown", (event) => {
          event.preventDefault();
          choose(n);
        });
        return li;
      }),
    );
    list.hidden = found.length === 0;
    input.setAttribute("aria-expanded", String(found.length > 0));
    status.textContent = found.length ? `${found.length}` : "";
    move(found.length ? 0 : -1);
  }

  function move(to) {
    list.querySelectorAll("[role=option]").forEach((li, n) => li.setAttribute("aria-selected", String(n === to)));
    active = to;
    if (to >= 0) {
      input.setAttribute("aria-activedescendant", `home-option-${to}`);
      list.children[to].scrollIntoView({ block: "nearest" });
    } else {
      input.removeAttribute("aria-activedescendant");
    }
  }

  function choose(n) {
    const place = options[n];
    if (!place) return;
    input.value = place.label;
    code.value = place.code;
    close();
  }

  async function lookup() {
    const query = input.value.trim();
    const mine = ++asked;
    waiting = Boolean(query || dpi());
    if (!waiting) return close();
    const params = new URLSearchParams({ q: query, country: field("nationality")?.value || "", dpi: dpi() });
    try {
      const response = await fetch(`${box.dataset.places}?${params}`, { headers: { Accept: "application/json" } });
      if (response.ok && mine === asked) show(await response.json());
    } finally {
      if (mine === asked) waiting = false;
    }
  }

  input.addEventListener("input", () => {
    code.value = "";
    close(); // the places shown were for the text before: never chosen for this one
    lookup();
  });
  input.addEventListener("focus", () => {
    if (!input.value.trim() && dpi()) lookup();
  });
  input.addEventListener("keydown", (event) => {
    if (event.key === "ArrowDown" || event.key === "ArrowUp") {
      event.preventDefault();
      if (list.hidden) return lookup();
      const step = event.key === "ArrowDown" ? 1 : -1;
      move((active + step + options.length) % options.length);
    } else if (event.key === "Enter" && waiting) {
      event.preventDefault(); // neither a place for older text nor the form sent half-filled
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", close);
})();

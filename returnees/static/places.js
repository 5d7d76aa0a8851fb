// The home field's type-ahead: the places of the person's country matching what is typed
// (municipality or department, accents and case ignored), the DPI's municipality first. Arrow
// keys move through the list, Enter chooses, Escape closes; the chosen place's code goes into
// the hidden field, and typing again clears it.
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
    if (!query && !dpi()) return close();
    const params = new URLSearchParams({ q: query, country: field("nationality")?.value || "", dpi: dpi() });
    const response = await fetch(`${box.dataset.places}?${params}`, { headers: { Accept: "application/json" } });
    if (response.ok && mine === asked) show(await response.json());
  }

  input.addEventListener("input", () => {
    code.value = "";
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
    } else if (event.key === "Enter" && !list.hidden && active >= 0) {
      event.preventDefault();
      choose(active);
    } else if (event.key === "Escape") {
      close();
    }
  });
  input.addEventListener("blur", close);
})();

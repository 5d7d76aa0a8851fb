// Live SMS segment count for the template editor (GSM-7: 160/153, UCS-2: 70/67).
(() => {
  const basic = "@£$¥èéùìòÇ\nØø\rÅåΔ_ΦΓΛΩΠΨΣΘΞÆæßÉ !\"#¤%&'()*+,-./0123456789:;<=>?¡ABCDEFGHIJKLMNOPQRSTUVWXYZÄÖÑÜ§¿abcdefghijklmnopqrstuvwxyzäöñüà";
  const extension = "^{}\\[~]|€\f";
  function count(text) {
    const chars = Array.from(text);
    if (chars.every((c) => basic.includes(c) || extension.includes(c))) {
      const septets = chars.reduce((n, c) => n + (extension.includes(c) ? 2 : 1), 0);
      return { encoding: "GSM-7", units: septets, parts: septets <= 160 ? 1 : Math.ceil(septets / 153) };
    }
    const units = text.length;
    return { encoding: "UCS-2", units, parts: units <= 70 ? 1 : Math.ceil(units / 67) };
  }
  document.querySelectorAll("textarea[data-segments]").forEach((area) => {
    const out = area.form.querySelector(".segments");
    if (!out) return;
    const update = () => {
      const result = count(area.value);
      const [parts, encoding, units] = out.querySelectorAll("span");
      parts.textContent = result.parts === 1 ? out.dataset.one : out.dataset.many.replace("#", result.parts);
      encoding.textContent = result.encoding;
      units.textContent = result.units;
    };
    area.addEventListener("input", update);
  });
})();

// The age from the birth date as it is typed, shown beside the field before saving. The date is
// read as the server reads it: dd/mm/aaaa (or with - or .), ddmmaaaa, or ISO aaaa-mm-dd; day
// first whatever the browser's language. Nothing is shown for text that is not yet a date.
(() => {
  const output = document.querySelector("output[data-age-of]");
  const input = output && document.getElementById(output.dataset.ageOf);
  if (!input) return;
  const forms = [
    [/^(\d{1,2})([/.-])(\d{1,2})\2(\d{4})$/, (m) => [m[1], m[3], m[4]]],
    [/^(\d{2})(\d{2})(\d{4})$/, (m) => [m[1], m[2], m[3]]],
    [/^(\d{4})-(\d{1,2})-(\d{1,2})$/, (m) => [m[3], m[2], m[1]]],
  ];

  function read(text) {
    for (const [pattern, parts] of forms) {
      const found = text.match(pattern);
      if (!found) continue;
      const [day, month, year] = parts(found).map(Number);
      const date = new Date(year, month - 1, day);
      const exists = date.getFullYear() === year && date.getMonth() === month - 1 && date.getDate() === day;
      return exists ? { day, month, year } : null;
    }
    return null;
  }

  function yearsSince(born, today) {
    const month = today.getMonth() + 1;
    const beforeBirthday = month < born.month || (month === born.month && today.getDate() < born.day);
    return today.getFullYear() - born.year - (beforeBirthday ? 1 : 0);
  }

  function show() {
    const born = read(input.value.trim());
    const years = born ? yearsSince(born, new Date()) : -1;
    output.hidden = years < 0;
    output.textContent = output.hidden ? "" : years === 1 ? output.dataset.oneYear : output.dataset.years.replace("{age}", years);
  }

  input.addEventListener("input", show);
  show();
})();

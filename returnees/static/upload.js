// Shows the upload's progress, then "reading", while a large passenger list is sent and read.
document.querySelectorAll("form[data-upload-progress]").forEach((form) => {
  form.addEventListener("submit", (event) => {
    const file = form.querySelector("input[type=file]");
    if (!file || !file.files.length || !window.XMLHttpRequest) return;
    event.preventDefault();
    const box = form.querySelector(".progress");
    const bar = box.querySelector("progress");
    const text = box.querySelector("span");
    box.hidden = false;
    text.textContent = text.dataset.sending;
    const request = new XMLHttpRequest();
    request.open("POST", form.action || window.location.href);
    request.upload.addEventListener("progress", (progress) => {
      if (progress.lengthComputable) bar.value = Math.round((100 * progress.loaded) / progress.total);
    });
    request.upload.addEventListener("load", () => {
      bar.removeAttribute("value");
      text.textContent = text.dataset.reading;
    });
    request.addEventListener("load", () => {
      if (request.responseURL && request.responseURL !== window.location.href && request.status < 400) {
        window.location.assign(request.responseURL);
      } else {
        document.open();
        document.write(request.responseText);
        document.close();
      }
    });
    request.send(new FormData(form));
  });
});

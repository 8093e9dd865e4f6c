// Small enhancements that need JavaScript; everything works without them.
// Copy buttons: <button data-copy="#selector">. No inline handlers (CSP script-src 'self').
document.addEventListener("click", (event) => {
  const button = event.target instanceof Element ? event.target.closest("button[data-copy]") : null;
  if (!button) return;
  const source = document.querySelector(button.getAttribute("data-copy"));
  if (!source) return;
  const value = "value" in source ? source.value : source.textContent;
  const done = () => {
    const label = button.textContent;
    button.textContent = "Copied";
    setTimeout(() => { button.textContent = label; }, 1500);
  };
  if (navigator.clipboard && window.isSecureContext) {
    navigator.clipboard.writeText(value).then(done, () => source.select && source.select());
  } else if (source.select) {
    source.select();
    document.execCommand("copy");
    done();
  }
});

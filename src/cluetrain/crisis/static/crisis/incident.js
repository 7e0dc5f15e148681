// Filling the update box from a runbook template: the template stays a starting point.
document.addEventListener("click", (event) => {
  const button = event.target.closest("[data-template-text]");
  if (!button) return;
  const box = document.querySelector("#id_text");
  if (!box) return;
  box.value = button.dataset.templateText;
  box.focus();
});

// Keeps "(N used)" in a field's hint current while people type. The number is in the
// element named by data-count-for, which the server renders with the count at load time;
// counting again on load catches text the browser restored or typed before this ran.
for (const output of document.querySelectorAll("[data-count-for]")) {
  const field = document.getElementById(output.dataset.countFor);
  if (field) {
    const update = () => {
      output.textContent = field.value.length;
    };
    field.addEventListener("input", update);
    update();
  }
}

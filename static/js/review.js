// Keyboard grading: digits pick a level in the current criterion and move on; Ctrl+Enter
// saves and opens the next answer; snippet buttons append their text to the comment.
(function () {
  var form = document.querySelector("[data-review-form]");
  if (!form) return;
  var criteria = Array.prototype.slice.call(form.querySelectorAll("[data-criterion]"));
  var current = 0;
  criteria.forEach(function (fieldset, index) {
    if (fieldset.querySelector("input:checked") && current === index) current = index + 1;
    fieldset.addEventListener("focusin", function () { current = index; mark(); });
  });
  if (current >= criteria.length) current = 0;
  function mark() {
    criteria.forEach(function (fieldset, index) { fieldset.classList.toggle("criterion-current", index === current); });
  }
  mark();
  document.addEventListener("keydown", function (event) {
    var target = event.target;
    var typing = target && (target.tagName === "TEXTAREA" || (target.tagName === "INPUT" && target.type !== "radio"));
    if ((event.ctrlKey || event.metaKey) && event.key === "Enter") {
      event.preventDefault();
      form.querySelector("[data-save-next]").click();
      return;
    }
    if (typing || event.altKey || event.ctrlKey || event.metaKey) return;
    if (/^[1-9]$/.test(event.key) && criteria.length) {
      var radios = criteria[current].querySelectorAll("input[type=radio]");
      var radio = radios[parseInt(event.key, 10) - 1];
      if (!radio || radio.disabled) return;
      event.preventDefault();
      radio.checked = true;
      radio.dispatchEvent(new Event("change", { bubbles: true }));
      current = Math.min(current + 1, criteria.length - 1);
      mark();
      criteria[current].querySelector("input[type=radio]").focus({ preventScroll: false });
    }
  });
  form.querySelectorAll("[data-snippet]").forEach(function (button) {
    button.addEventListener("click", function () {
      var comment = document.getElementById("review-comment");
      comment.value = (comment.value ? comment.value.replace(/\s*$/, "") + "\n" : "") + button.getAttribute("data-snippet");
      comment.dispatchEvent(new Event("input", { bubbles: true }));
      comment.focus();
    });
  });
})();

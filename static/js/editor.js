// Line numbers beside the Dockerfile textarea, and Tab inserting spaces. Progressive:
// without JavaScript the textarea works as is.
(function () {
  document.querySelectorAll("[data-gutter-for]").forEach(function (gutter) {
    var area = document.getElementById(gutter.getAttribute("data-gutter-for"));
    if (!area) return;
    function render() {
      var count = area.value.split("\n").length;
      var numbers = [];
      for (var i = 1; i <= count; i++) numbers.push(i);
      gutter.textContent = numbers.join("\n");
      gutter.scrollTop = area.scrollTop;
    }
    area.addEventListener("input", render);
    area.addEventListener("scroll", function () { gutter.scrollTop = area.scrollTop; });
    area.addEventListener("keydown", function (event) {
      if (event.key === "Tab" && !event.shiftKey && !event.ctrlKey && !event.altKey) {
        // Escape still leaves the field for keyboard users: only plain Tab indents.
        if (area.dataset.tabEscape === "1") { area.dataset.tabEscape = ""; return; }
        event.preventDefault();
        var start = area.selectionStart, end = area.selectionEnd;
        area.value = area.value.slice(0, start) + "    " + area.value.slice(end);
        area.selectionStart = area.selectionEnd = start + 4;
        render();
      } else if (event.key === "Escape") {
        area.dataset.tabEscape = "1";
      }
    });
    render();
  });
})();

// The build log follows its end while the build runs, unless the learner scrolled up to read:
// then it stays where they are. When the verdict brings the whole log with the failing step
// marked, that step is scrolled into view. Without JavaScript the log is still all there.
(function () {
  function follow(pre) {
    if (pre.dataset.following) return;
    pre.dataset.following = "1";
    var stick = true;
    pre.addEventListener("scroll", function () {
      stick = pre.scrollHeight - pre.scrollTop - pre.clientHeight < 24;
    });
    new MutationObserver(function () {
      if (stick) pre.scrollTop = pre.scrollHeight;
    }).observe(pre, { childList: true });
    var failing = pre.querySelector(".log-failing");
    pre.scrollTop = failing ? Math.max(0, failing.offsetTop - pre.clientHeight / 3) : pre.scrollHeight;
  }
  function scan(root) {
    if (root.matches && root.matches(".build-log")) follow(root);
    if (root.querySelectorAll) root.querySelectorAll(".build-log").forEach(follow);
  }
  if (window.htmx) {
    htmx.onLoad(scan);
  } else {
    document.addEventListener("DOMContentLoaded", function () { scan(document); });
  }
})();

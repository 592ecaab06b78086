// Countdown for a timed attempt; when it reaches zero the attempt is submitted. The server
// enforces the deadline too, so closing or tampering with this script changes nothing.
(function () {
  var timer = document.querySelector("[data-seconds-left]");
  if (!timer) return;
  var left = parseInt(timer.getAttribute("data-seconds-left"), 10);
  var value = timer.querySelector(".timer-value");
  var form = document.getElementById(timer.getAttribute("data-submit-form"));
  var endsAt = Date.now() + left * 1000;
  function pad(n) { return n < 10 ? "0" + n : "" + n; }
  function tick() {
    var seconds = Math.max(0, Math.round((endsAt - Date.now()) / 1000));
    value.textContent = Math.floor(seconds / 60) + ":" + pad(seconds % 60);
    if (seconds <= 60) timer.classList.add("timer-low");
    if (seconds === 0) { if (form) form.submit(); return; }
    setTimeout(tick, 1000);
  }
  tick();
})();

// LTI Dynamic Registration: tell the LMS (which opened this page in a frame or a window)
// that registration is over, so it closes the page and shows the new tool.
(function () {
  "use strict";
  function close() {
    var target = window.opener || (window.parent !== window ? window.parent : null);
    if (target) {
      target.postMessage({ subject: "org.imsglobal.lti.close" }, "*");
    }
  }
  document.querySelectorAll("[data-lti-close]").forEach(function (button) {
    button.addEventListener("click", close);
  });
  close();
})();

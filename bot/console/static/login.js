// Console login: posts JSON to /console/api/login, then opens the console.
"use strict";
(function () {
  const form = document.getElementById("login-form");
  const errorBox = document.getElementById("login-error");

  function showError(text) {
    errorBox.textContent = text;
    errorBox.hidden = false;
  }

  form.addEventListener("submit", async (ev) => {
    ev.preventDefault();
    errorBox.hidden = true;
    const body = {
      username: document.getElementById("username").value,
      password: document.getElementById("password").value,
    };
    try {
      const res = await fetch("/console/api/login", {
        method: "POST",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify(body),
        credentials: "same-origin",
      });
      if (res.ok) {
        const check = await fetch("/console/api/me", { credentials: "same-origin" });
        if (check.ok) {
          window.location.assign("/console");
        } else {  // a Secure cookie over plain HTTP on a non-local address is dropped
          showError("Trình duyệt không lưu được phiên đăng nhập. Hãy mở bảng tư vấn qua HTTPS.");
        }
        return;
      }
      const data = await res.json().catch(() => ({}));
      showError((data.error && data.error.message) || "Đăng nhập không thành công.");
    } catch (e) {
      showError("Không kết nối được máy chủ. Hãy thử lại.");
    }
  });
})();

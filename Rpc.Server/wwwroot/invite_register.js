// Invite registration: checks the form with the server's rules, then calls users.createWithInvite
// and users.auth over POST /rpc. Served as a file so the page works under a strict CSP.
(() => {
  "use strict";

  // The same rules as AccountRules on the server.
  const USERNAME_MIN = 2, USERNAME_MAX = 32, PASSWORD_MIN = 8, PASSWORD_MAX = 128;
  const USERNAME_CHARS = /^[\p{L}\p{Nd}_.\-]+$/u;

  const form = document.getElementById("register-form");
  const fields = {
    invite: document.getElementById("invite"),
    username: document.getElementById("username"),
    password: document.getElementById("password"),
  };
  const submit = document.getElementById("submit");
  const serverError = document.getElementById("server-error");

  const segmenter = typeof Intl !== "undefined" && Intl.Segmenter ? new Intl.Segmenter() : null;
  const textLength = (s) => (segmenter ? [...segmenter.segment(s)].length : [...s].length);

  function checkUsername(value) {
    const name = value.normalize("NFKC");
    const length = textLength(name);
    if (length < USERNAME_MIN || length > USERNAME_MAX) return "Username must be between 2 and 32 characters.";
    if (!USERNAME_CHARS.test(name)) return "Username may contain only letters, digits, '_', '.' and '-'.";
    return null;
  }

  function checkPassword(value) {
    const length = textLength(value);
    if (length < PASSWORD_MIN || length > PASSWORD_MAX) return "Password must be between 8 and 128 characters.";
    if (value.trim() === "") return "Password must not be only white space.";
    return null;
  }

  function checkInvite(value) {
    return value.trim() === "" ? "Enter the invite code you were given." : null;
  }

  const checks = { invite: checkInvite, username: checkUsername, password: checkPassword };

  function showFieldError(name, message) {
    const input = fields[name];
    const error = document.getElementById(name + "-error");
    input.setAttribute("aria-invalid", message ? "true" : "false");
    error.textContent = message || "";
    error.hidden = !message;
  }

  function validate() {
    let ok = true;
    for (const name of Object.keys(checks)) {
      const message = checks[name](fields[name].value);
      showFieldError(name, message);
      if (message && ok) {
        fields[name].focus();
        ok = false;
      }
    }
    return ok;
  }

  function showServerError(error) {
    document.getElementById("server-error-message").textContent = error.message || "Error";
    document.getElementById("server-error-data").textContent = typeof error.data === "string" ? error.data : "";
    serverError.hidden = false;
  }

  let nextId = 1;
  async function call(method, params) {
    const response = await fetch("/rpc", {
      method: "POST",
      headers: {
        "Content-Type": "application/json",
        "Accept-Language": (navigator.languages && navigator.languages.length ? navigator.languages : [navigator.language]).join(","),
      },
      body: JSON.stringify({ jsonrpc: "2.0", method, params, id: nextId++ }),
    });
    const reply = await response.json();
    if (reply.error) throw reply.error;
    return reply.result;
  }

  const code = new URLSearchParams(window.location.search).get("code");
  if (code) fields.invite.value = code;

  for (const name of Object.keys(fields)) {
    fields[name].addEventListener("input", () => {
      if (fields[name].getAttribute("aria-invalid") === "true") showFieldError(name, checks[name](fields[name].value));
    });
  }

  form.addEventListener("submit", async (event) => {
    event.preventDefault();
    serverError.hidden = true;
    if (!validate()) return;

    const username = fields.username.value.normalize("NFKC");
    const password = fields.password.value;
    submit.disabled = true;
    try {
      const user = await call("users.createWithInvite", { username, password, invite: fields.invite.value.trim() });
      const auth = await call("users.auth", { username, password });
      document.getElementById("success-username").textContent = user.username;
      document.getElementById("token").value = auth.token;
      form.hidden = true;
      document.getElementById("lead").hidden = true;
      document.getElementById("success").hidden = false;
    } catch (error) {
      showServerError(error instanceof Error ? { message: "Could not reach the server", data: error.message } : error);
    } finally {
      submit.disabled = false;
    }
  });
})();

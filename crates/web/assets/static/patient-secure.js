// @ts-check
// The patient app opened through a secure link: the session reaches one
// conversation, so in place of the way back to the list the patient is
// offered full enrollment (an invitation to the phone or email on file).
import { api, el, errorText } from "./common.js";

/** The offer shown above the conversation. */
export function enrollmentOffer() {
  const status = el("p", { class: "hint", role: "status" });
  const enroll = el("button", { type: "button", class: "secondary small" }, "Enroll");
  enroll.addEventListener("click", async () => {
    enroll.disabled = true;
    try {
      const sent = await api("POST", "/api/v1/secure-links/enrollment");
      status.textContent = sent.medium === "sms"
        ? "We sent you an invitation by text message. Follow it to choose a user name and password."
        : "We sent you an invitation by email. Follow it to choose a user name and password.";
      enroll.hidden = true;
    } catch (e) {
      enroll.disabled = false;
      status.textContent = errorText(e);
    }
  });
  return el("section", { class: "notice secure-offer", "aria-label": "Enroll in secure messaging" },
    el("p", {}, "You are reading one secure message. Enroll to see all your messages and write to your care team at any time."),
    enroll, status);
}

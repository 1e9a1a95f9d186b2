// @ts-check
// Passkeys (WebAuthn) in the browser: whether this page can use them, and
// the two browser calls with the server's options. The server sends every
// binary field in base64url; the browser wants ArrayBuffers and gives
// ArrayBuffers back, which go to the server as base64url again. The
// server's checks are the ones that count; nothing here decides anything.

/**
 * Passkeys need a secure page reached by the server's name: browsers
 * refuse WebAuthn at an IP address (https://127.0.0.1), so the buttons
 * stay hidden there.
 * @returns {boolean}
 */
export function passkeysUsable() {
  const host = location.hostname;
  const ip = /^[0-9.]+$/.test(host) || host.includes(":") || host.startsWith("[");
  return !ip && window.isSecureContext && typeof window.PublicKeyCredential === "function" && !!navigator.credentials;
}

/** @param {string} text base64url (or base64) */
function toBuffer(text) {
  const b64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const padded = b64 + "=".repeat((4 - (b64.length % 4)) % 4);
  const bytes = Uint8Array.from(atob(padded), (c) => c.charCodeAt(0));
  return bytes.buffer;
}

/** @param {ArrayBuffer | null | undefined} buffer */
function toText(buffer) {
  if (!buffer) return null;
  let binary = "";
  for (const b of new Uint8Array(buffer)) binary += String.fromCharCode(b);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
}

/** @param {{ id: string }[] | undefined} list */
const descriptors = (list) => list?.map((c) => ({ ...c, id: toBuffer(c.id) }));

/**
 * Makes a passkey with the options of `POST /api/v1/me/passkeys/options`;
 * answers the credential as JSON for `POST /api/v1/me/passkeys`.
 * @param {any} publicKey
 */
export async function createPasskey(publicKey) {
  const options = {
    ...publicKey,
    challenge: toBuffer(publicKey.challenge),
    user: { ...publicKey.user, id: toBuffer(publicKey.user.id) },
    excludeCredentials: descriptors(publicKey.excludeCredentials),
  };
  const cred = /** @type {PublicKeyCredential | null} */ (await navigator.credentials.create({ publicKey: options }));
  if (!cred) throw new Error("No passkey was made.");
  const response = /** @type {AuthenticatorAttestationResponse} */ (cred.response);
  return {
    id: cred.id,
    rawId: toText(cred.rawId),
    type: cred.type,
    extensions: cred.getClientExtensionResults(),
    response: {
      attestationObject: toText(response.attestationObject),
      clientDataJSON: toText(response.clientDataJSON),
      transports: typeof response.getTransports === "function" ? response.getTransports() : undefined,
    },
  };
}

/**
 * Signs with a passkey, with the options of a sign-in's
 * `passkey/options`; answers the credential as JSON.
 * @param {any} publicKey
 */
export async function usePasskey(publicKey) {
  const options = {
    ...publicKey,
    challenge: toBuffer(publicKey.challenge),
    allowCredentials: descriptors(publicKey.allowCredentials),
  };
  const cred = /** @type {PublicKeyCredential | null} */ (await navigator.credentials.get({ publicKey: options }));
  if (!cred) throw new Error("No passkey was used.");
  const response = /** @type {AuthenticatorAssertionResponse} */ (cred.response);
  return {
    id: cred.id,
    rawId: toText(cred.rawId),
    type: cred.type,
    extensions: cred.getClientExtensionResults(),
    response: {
      authenticatorData: toText(response.authenticatorData),
      clientDataJSON: toText(response.clientDataJSON),
      signature: toText(response.signature),
      userHandle: toText(response.userHandle),
    },
  };
}

/**
 * Words for a browser's refusal (the person cancelled, or no passkey for
 * this site is on the device), or `null` for anything else.
 * @param {unknown} e
 */
export function browserRefusal(e) {
  if (e instanceof DOMException && (e.name === "NotAllowedError" || e.name === "AbortError")) {
    return "The passkey was not used. Try again, or sign in another way.";
  }
  if (e instanceof DOMException && e.name === "InvalidStateError") {
    return "This device already has a passkey for your account.";
  }
  if (e instanceof DOMException && e.name === "SecurityError") {
    return "Passkeys cannot be used at this address. Open Switchboard by its name (such as https://localhost).";
  }
  return null;
}

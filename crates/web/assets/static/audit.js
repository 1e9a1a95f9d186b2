// The compliance officer's audit log screen (being built).
import { api } from "./common.js";

api("GET", "/api/v1/me").then(() => (document.body.dataset.ready = "true")).catch(() => {});

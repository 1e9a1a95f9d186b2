// @ts-check
// Practice setup, documents to file (in the Pools section): the pool whose
// members file to the chart what patients send. Documents are photos,
// PDFs and text files; recordings (audio, video) stay in the conversation.
// Each document waits in that pool's "To file" view of the inbox until
// someone files it. Changed by practice administrators, read by all staff.
// The setup page (admin.js) starts it with `showDocumentsRouting` and
// calls `documentsPoolsChanged` when the pools change.
import { message } from "./admin-hours.js";
import { $, announce, api, options, showError } from "./common.js";

/** @typedef {{ id: string, name: string }} PoolChoice */

const card = {
  admin: false,
  /** @type {string | null} */
  poolId: null,
  /** @type {PoolChoice[]} */
  pools: [],
};

function render() {
  const select = $("documents-pool");
  options(select, [["", "Nobody (administrators only)"], ...card.pools.map((p) => [p.id, p.name])], card.poolId ?? "");
  select.disabled = !card.admin;
  $("documents-readonly").hidden = card.admin;
}

async function save() {
  const select = $("documents-pool");
  const error = $("documents-error");
  showError(error, "");
  const before = card.poolId;
  try {
    const saved = await api("PUT", "/api/v1/practice/documents-routing", { pool_id: select.value || null });
    card.poolId = saved.pool_id;
    const name = card.pools.find((p) => p.id === card.poolId)?.name;
    announce(name ? `Documents to file now go to ${name}` : "Documents to file now go to nobody: administrators alone see them");
  } catch (e) {
    card.poolId = before;
    render();
    showError(error, message(e));
  }
}

/**
 * Loads the setting and draws the card.
 * @param {boolean} admin
 * @param {PoolChoice[]} pools
 */
export async function showDocumentsRouting(admin, pools) {
  card.admin = admin;
  card.pools = pools;
  /** @type {{ pool_id: string | null }} */
  const routing = await api("GET", "/api/v1/practice/documents-routing");
  card.poolId = routing.pool_id;
  render();
  $("documents-pool").addEventListener("change", () => save());
}

/** The pools changed (one added or renamed): the choices follow. @param {PoolChoice[]} pools */
export function documentsPoolsChanged(pools) {
  card.pools = pools;
  render();
}

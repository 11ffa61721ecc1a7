/**
 * The dashboard's only assets, served from memory by the dashboard itself: the machine may be
 * offline, and a page must never reach out to the internet. The script is progressive
 * enhancement only (live refresh over server-sent events, actions without a reload); every view
 * and every action works with it off.
 */

export const DASHBOARD_CSS = `
:root{color-scheme:light;--fg:#1b1f24;--muted:#57606a;--line:#d0d7de;--bg:#f6f8fa;--link:#0550ae}
*{box-sizing:border-box}
body{margin:0;font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:#fff}
a{color:var(--link)}
.skip{position:absolute;left:-999px}.skip:focus{left:8px;top:8px;background:#fff;padding:4px}
header{background:#24292f;color:#fff}
header nav{display:flex;flex-wrap:wrap;align-items:center;gap:4px 16px;padding:8px 20px}
header a{color:#fff;text-decoration:none;padding:4px 6px;border-radius:4px}
header a[aria-current=page]{background:#57606a}
header a:hover,header a:focus{text-decoration:underline}
header ul{display:flex;flex-wrap:wrap;gap:4px;list-style:none;margin:0;padding:0}
.brand{font-weight:700}
.live{margin-left:auto;font-size:13px;color:#fff}.account{font-size:13px;color:#fff}
#flash{padding:0 20px;min-height:0}
#flash:not(:empty){padding:8px 20px;background:#fff8c5;color:#1b1f24;border-bottom:1px solid var(--line)}
main{padding:12px 20px 40px;max-width:1400px}
h1{font-size:22px;margin:8px 0 12px}h2{font-size:17px;margin:22px 0 8px}
table{border-collapse:collapse;width:100%;margin:4px 0 8px}
table.counts{width:auto}table.counts td{padding-left:24px}
th,td{text-align:left;vertical-align:top;padding:5px 8px;border-bottom:1px solid var(--line)}
th{background:var(--bg);font-weight:600;white-space:nowrap}
td.num,th.num{text-align:right}
.muted{color:var(--muted)}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:13px}
pre{background:var(--bg);border:1px solid var(--line);padding:8px;overflow:auto;max-height:480px}
.diff .add{color:#116329;background:#dafbe1;display:block}.diff .del{color:#a40e26;background:#ffebe9;display:block}
.badge{display:inline-block;padding:0 7px;border-radius:10px;font-size:12px;font-weight:600;white-space:nowrap}
.s-ready{background:#dafbe1;color:#116329}.s-failing{background:#ffebe9;color:#a40e26}
.s-stalled{background:#fff1e5;color:#8a3300}.s-suspended{background:#eaeef2;color:#424a53}
.s-reconciling{background:#ddf4ff;color:#0a3069}
.cards{display:flex;flex-wrap:wrap;gap:12px}
.card{border:1px solid var(--line);border-radius:6px;padding:8px 12px;min-width:190px}
.card h3{font-size:14px;margin:0 0 4px}
.card ul{list-style:none;margin:0;padding:0}
dl.facts{display:grid;grid-template-columns:max-content 1fr;gap:4px 16px;margin:0}
dl.facts dt{color:var(--muted)}dl.facts dd{margin:0}
form.inline{display:inline}
button{font:inherit;font-size:13px;padding:2px 10px;border:1px solid #8c959f;border-radius:5px;background:#f6f8fa;color:var(--fg);cursor:pointer}
button:hover{background:#eaeef2}
.filters{display:flex;flex-wrap:wrap;gap:8px;align-items:end;margin:4px 0 10px}
.filters label{display:flex;flex-direction:column;font-size:13px;color:var(--muted)}
input,select{font:inherit;padding:2px 6px;border:1px solid #8c959f;border-radius:4px}
.pager{display:flex;gap:16px;align-items:center;margin:8px 0}
.timeline{max-width:100%;height:auto;border:1px solid var(--line);background:#fff}
.err{color:#a40e26}
pre.msg{margin:0;padding:0;border:0;background:none;white-space:pre-wrap;max-height:none;font-size:13px}
`;

export const DASHBOARD_JS = `(() => {
  "use strict";
  const live = document.getElementById("live");
  const flash = document.getElementById("flash");
  let timer = 0, busy = false, again = false;
  // keep: a live refresh leaves what an action put into [data-keep] blocks (a preview) in place.
  function swap(text, keep) {
    const doc = new DOMParser().parseFromString(text, "text/html");
    const fresh = doc.getElementById("main"), cur = document.getElementById("main");
    if (!fresh || !cur) return;
    if (keep) for (const el of cur.querySelectorAll("[data-keep][id]")) {
      const twin = fresh.querySelector("#" + CSS.escape(el.id));
      if (twin) twin.innerHTML = el.innerHTML;
    }
    cur.innerHTML = fresh.innerHTML;
    document.title = doc.title;
    document.body.dataset.refreshed = String(Date.now());
  }
  function typing() {
    const a = document.activeElement;
    return !!a && !!a.closest && !!a.closest("#main") && /^(INPUT|SELECT|TEXTAREA)$/.test(a.tagName);
  }
  async function refresh() {
    if (busy || typing()) { again = true; return; }
    busy = true;
    try {
      const r = await fetch(location.href, { headers: { "x-dashboard-fetch": "1" }, credentials: "same-origin" });
      if (r.ok) swap(await r.text(), true);
    } catch (e) { /* the next change or reconnect tries again */ }
    finally { busy = false; if (again) { again = false; schedule(); } }
  }
  function schedule() { clearTimeout(timer); timer = setTimeout(refresh, 200); }
  if (window.EventSource) {
    const es = new EventSource("/live");
    es.addEventListener("change", schedule);
    es.onopen = () => { if (live) live.textContent = "Live"; };
    es.onerror = () => { if (live) live.textContent = "Reconnecting\\u2026"; };
  }
  document.addEventListener("submit", async (ev) => {
    const form = ev.target;
    if (!(form instanceof HTMLFormElement) || form.method.toLowerCase() !== "post") return;
    ev.preventDefault();
    const btn = ev.submitter;
    if (btn) btn.disabled = true;
    try {
      const r = await fetch(form.action, {
        method: "POST",
        body: new URLSearchParams(new FormData(form)),
        headers: { "x-dashboard-fetch": "1" },
        credentials: "same-origin",
      });
      const type = r.headers.get("content-type") || "";
      if (r.ok && type.includes("text/html")) swap(await r.text(), false);
      else {
        if (flash) flash.textContent = await r.text();
        if (r.ok) schedule();
      }
    } catch (e) {
      if (flash) flash.textContent = "The request failed: " + e;
    } finally {
      if (btn) btn.disabled = false;
    }
  });
})();
`;

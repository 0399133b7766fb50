/** Collapses a stylesheet written for reading into the few bytes a phone has to download. */
export function minifyCss(css: string): string {
  return css
    .replace(/\/\*[\s\S]*?\*\//g, '')
    .replace(/\s+/g, ' ')
    .replace(/\s*([{}:;,>])\s*/g, '$1')
    .replace(/;}/g, '}')
    .trim();
}

/** Shared by the pay page and the quick collection page. System fonts only; no external files. */
export const CASHIER_CSS = minifyCss(`
*{box-sizing:border-box}
html{-webkit-text-size-adjust:100%}
body{margin:0;background:#eef1f5;color:#1d2129;
  font:15px/1.5 -apple-system,BlinkMacSystemFont,"Segoe UI","PingFang SC","Hiragino Sans GB","Microsoft YaHei","Noto Sans CJK SC",sans-serif;
  --a:#1677ff;--a2:#e8f1ff}
body.wechat{--a:#07a35a;--a2:#e6f7ee}
.wrap{max-width:440px;margin:0 auto;padding:16px 12px 28px}
.card{background:#fff;border-radius:14px;box-shadow:0 2px 14px rgba(20,30,60,.08);overflow:hidden}
.bar{display:flex;align-items:center;justify-content:space-between;background:var(--a);color:#fff;padding:12px 18px}
.brand{display:flex;align-items:center;gap:8px;font-weight:600;font-size:16px}
.logo{display:inline-flex;width:26px;height:26px;border-radius:7px;background:#fff;color:var(--a);align-items:center;justify-content:center;font-weight:700;font-size:15px}
.bar a{color:#fff;opacity:.9;font-size:13px;text-decoration:none;border:1px solid rgba(255,255,255,.55);border-radius:12px;padding:1px 10px}
.body{padding:18px 20px 20px;text-align:center}
.who{color:#4e5969;font-size:14px;margin:0}
.who b{color:#1d2129;font-weight:600}
.item{color:#86909c;font-size:13px;margin:2px 0 0;word-break:break-all}
.amt{margin:14px 0 2px;font-weight:700;font-size:44px;line-height:1.1;letter-spacing:.5px;color:#1d2129;font-variant-numeric:tabular-nums}
.amt small{font-size:24px;margin-right:4px;font-weight:600}
.exact{display:inline-block;margin:6px 0 0;padding:3px 12px;border-radius:14px;background:#fff1e8;color:#d4380d;font-size:14px;font-weight:600}
.note{color:#86909c;font-size:12.5px;margin:8px 6px 0}
.qr{display:inline-block;margin:16px auto 6px;padding:8px;border:1px solid #e5e6eb;border-radius:12px;background:#fff;max-width:100%}
.qr img{display:block;max-width:100%;height:auto;image-rendering:pixelated}
.hint{color:#4e5969;font-size:13.5px;margin:8px 4px 0}
.btn{display:block;margin:14px auto 4px;max-width:320px;padding:12px 16px;border-radius:24px;background:var(--a);color:#fff;font-size:16px;font-weight:600;text-decoration:none;border:0;width:100%;cursor:pointer;font-family:inherit}
.btn:active{opacity:.85}
.timer{margin:16px 0 0;padding:10px 0 0;border-top:1px dashed #e5e6eb;color:#4e5969;font-size:13.5px}
.timer b{color:#d4380d;font-size:18px;font-variant-numeric:tabular-nums;margin-left:6px}
.timer span{display:block;color:#a0a7b4;font-size:12px}
.live{display:flex;align-items:center;justify-content:center;gap:8px;margin:12px 0 0;color:var(--a);font-size:14px;font-weight:500}
.dot{width:8px;height:8px;border-radius:50%;background:var(--a);animation:p 1.2s ease-in-out infinite}
@keyframes p{0%,100%{opacity:.25;transform:scale(.8)}50%{opacity:1;transform:scale(1.2)}}
.big{margin:16px auto 8px;width:68px;height:68px;border-radius:50%;display:flex;align-items:center;justify-content:center;font-size:36px;color:#fff;background:#00b42a}
.big.x{background:#c9cdd4}
h1{font-size:20px;margin:4px 0 0}
[data-phase=closed] .amt{color:#a0a7b4}
.msg{color:#4e5969;font-size:14px;margin:6px 8px 0}
.foot{color:#a0a7b4;font-size:12px;text-align:center;margin:14px 0 0;word-break:break-all}
.foot a{color:#86909c}
.s{display:none}
[data-phase=waiting] .s-waiting,[data-phase=notifying] .s-paid,[data-phase=delayed] .s-paid,[data-phase=done] .s-paid,
[data-phase=notifying] .s-notifying,[data-phase=delayed] .s-delayed,[data-phase=done] .s-done,[data-phase=closed] .s-closed{display:block}
form{text-align:left;margin:6px 0 0}
label{display:block;font-size:13.5px;color:#4e5969;margin:14px 0 6px}
input[type=text],input[type=tel]{width:100%;font:inherit;font-size:16px;padding:11px 12px;border:1px solid #d9dde4;border-radius:10px;background:#fff;color:#1d2129}
input.money{font-size:28px;font-weight:700;padding:8px 12px;font-variant-numeric:tabular-nums}
input:focus{outline:2px solid var(--a);outline-offset:0;border-color:transparent}
input[readonly]{background:#f5f6f8}
.types{display:flex;gap:10px}
.types label{flex:1;margin:0;display:flex;align-items:center;gap:8px;padding:10px 12px;border:1px solid #d9dde4;border-radius:10px;cursor:pointer;color:#1d2129;font-size:15px}
.types input{accent-color:var(--a)}
.err{background:#fff2f0;color:#cf1322;border:1px solid #ffccc7;border-radius:10px;padding:8px 12px;font-size:14px;margin:12px 0 0}
body.dark{background:#16181d;color:#e5e6eb}
.dark .card{background:#23262e;box-shadow:none}
.dark .amt,.dark .who b,.dark .types label,.dark h1{color:#f2f3f5}
.dark input[type=text],.dark input[type=tel]{background:#1b1d23;color:#f2f3f5;border-color:#3a3f4b}
.dark input[readonly]{background:#2b2f38}
.dark .types label{border-color:#3a3f4b}
@media (min-width:700px){.wrap{padding-top:48px}}
`);

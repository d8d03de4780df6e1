import { buildDocsSite } from './test/support/docs-site.js';

const site = buildDocsSite();
const p = site.pages.find((x) => x.path === '/docs/v3.6/upgrades/upgrade_3_6/')!;
const i = p.html.indexOf('experimental-bootstrap-defrag');
console.log(JSON.stringify(p.html.slice(i - 300, i + 200)));
const q = site.pages.find((x) => x.path === '/docs/v3.6/downgrades/downgrade_3_6/')!;
const j = q.html.indexOf('flags not available');
console.log(JSON.stringify(q.html.slice(j - 200, j + 900)));

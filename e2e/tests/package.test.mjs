// The Debian package (`./x package`, FRONTDESK_DEB): installed with dpkg on this machine,
// its binary started the way its systemd unit would (the unit's ExecStart as its User, in
// its WorkingDirectory, with its EnvironmentFile; no systemd here) from a directory with no
// checkout, `frontdesk admin` run as the package's user on the installed database, then the
// widget on a customer page and the console, both served from inside the binary, chat both
// ways. Purged at the end. Needs root (CI is); skipped without FRONTDESK_DEB.

import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { createInterface } from 'node:readline';
import { HostPage, ConsolePage, launchBrowser, seedSnippet, startHostSite, watchConsole } from '../lib.mjs';

const DEB = process.env.FRONTDESK_DEB;
const skip = !DEB ? 'FRONTDESK_DEB unset (./x test builds the package and sets it)'
  : process.getuid?.() !== 0 ? 'installing a package needs root' : false;

/** The `Key=value` settings of the unit's [Service] section. */
function unitSettings(text) {
  const out = {};
  let inService = false;
  for (const line of text.split('\n')) {
    const l = line.trim();
    if (l.startsWith('[')) inService = l === '[Service]';
    else if (inService && l && !l.startsWith('#')) {
      const i = l.indexOf('=');
      out[l.slice(0, i)] = l.slice(i + 1);
    }
  }
  return out;
}

/** A free loopback port (the env file's address is replaced by it). */
async function freePort() {
  const s = createServer();
  await new Promise((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address();
  await new Promise((r) => s.close(r));
  return port;
}

const procs = [];
after(() => {
  // SIGTERM: runuser passes it on to the server (a SIGKILLed runuser would leave it running).
  for (const p of procs) p.kill('SIGTERM');
  if (!skip) spawnSync('dpkg', ['--purge', 'frontdesk'], { stdio: 'inherit' });
});

test('the .deb installs, runs as its unit says with no checkout, and serves a chat end to end', { skip }, async () => {
  spawnSync('dpkg', ['--purge', 'frontdesk'], { stdio: 'ignore' });
  execFileSync('dpkg', ['-i', DEB], { stdio: 'inherit' });

  const unitPath = ['/lib/systemd/system/frontdesk.service', '/usr/lib/systemd/system/frontdesk.service']
    .find((p) => existsSync(p));
  assert.ok(unitPath, 'the package installs a systemd unit');
  const unit = unitSettings(readFileSync(unitPath, 'utf8'));
  for (const [k, v] of Object.entries({
    User: 'frontdesk', StateDirectory: 'frontdesk', NoNewPrivileges: 'yes', ProtectSystem: 'strict',
    EnvironmentFile: '/etc/frontdesk/frontdesk.env', WorkingDirectory: '/var/lib/frontdesk',
  })) assert.equal(unit[k], v, `unit ${k}`);
  // systemd's own check of the unit (where systemd-analyze exists; it needs no running systemd).
  if (existsSync('/usr/bin/systemd-analyze')) {
    const v = spawnSync('systemd-analyze', ['verify', '--man=no', unitPath], { encoding: 'utf8' });
    assert.equal(v.status, 0, v.stderr);
    assert.doesNotMatch(v.stderr, /Unknown|Invalid|Failed|ignoring/i, v.stderr);
  }
  const [bin, ...args] = unit.ExecStart.split(/\s+/);
  assert.equal(bin, '/usr/bin/frontdesk');
  assert.match(execFileSync(bin, ['--version'], { encoding: 'utf8' }),
    /^frontdesk \d+\.\d+\.\d+ \(commit [0-9a-f]{7,}; widget, console and static files built in\)/);

  // The env file, as systemd reads it; the address and public URL get a free port.
  const env = {};
  for (const l of readFileSync(unit.EnvironmentFile, 'utf8').split('\n')) {
    const m = /^\s*([A-Z_][A-Z0-9_]*)=(.*)$/.exec(l);
    if (m) env[m[1]] = m[2];
  }
  assert.equal(env.FRONTDESK_DATABASE_URL, 'sqlite:///var/lib/frontdesk/frontdesk.db');
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const runEnv = {
    PATH: '/usr/sbin:/usr/bin:/sbin:/bin', ...env,
    FRONTDESK_ADDR: `127.0.0.1:${port}`, FRONTDESK_PUBLIC_URL: url, FRONTDESK_LOG: 'warn',
  };
  const asUser = (cmd, opts = {}) => ['runuser', ['-u', unit.User, '--', 'env', '-i',
    ...Object.entries(runEnv).map(([k, v]) => `${k}=${v}`), ...cmd], { cwd: unit.WorkingDirectory, ...opts }];

  // As root the packaged binary refuses the service's database (it would own files there).
  const asRoot = spawnSync(bin, ['admin', 'site', 'list'], { cwd: '/', encoding: 'utf8' });
  assert.equal(asRoot.status, 2);
  assert.match(asRoot.stderr, /sudo -u frontdesk frontdesk admin/);

  // `frontdesk admin` as the package's user, on the installed database (from the env file
  // the binary reads itself: no --database-url).
  const adminAs = (...a) => {
    const [cmd, argv, opts] = asUser([bin, 'admin', ...a, '--json'], { encoding: 'utf8' });
    return JSON.parse(execFileSync(cmd, argv, opts));
  };
  const site = adminAs('site', 'create', '--name', 'Packaged shop');
  const password = 'package password 1';
  adminAs('agent', 'create', '--site', site.sysnum, '--account', 'kf1@pkg', '--nick', 'Pia',
    '--password', password);
  assert.ok(adminAs('site', 'list').some((s) => s.sysnum === site.sysnum));
  assert.ok(existsSync('/var/lib/frontdesk/frontdesk.db'), 'the database is where the env file says');

  // The unit's ExecStart, as its user, in its working directory: no checkout anywhere near.
  const [cmd, argv, opts] = asUser([bin, ...args]);
  const child = spawn(cmd, argv, { ...opts, stdio: ['ignore', 'pipe', 'inherit'] });
  procs.push(child);
  const printed = [];
  await new Promise((resolve, reject) => {
    const t = setTimeout(() => reject(new Error(`server did not start: ${printed.join('\n')}`)), 15000);
    createInterface({ input: child.stdout }).on('line', (l) => {
      printed.push(l);
      if (l.startsWith('frontdesk listening')) { clearTimeout(t); resolve(); }
    });
    child.on('exit', (c) => reject(new Error(`server exited with ${c}: ${printed.join('\n')}`)));
  });
  const ps = execFileSync('ps', ['-o', 'user=', '-C', 'frontdesk'], { encoding: 'utf8' });
  assert.match(ps, /frontdesk/, 'the server runs as the package user');

  const browser = await launchBrowser();
  const shop = await startHostSite();
  try {
    // The visitor: the snippet on a customer page (another origin).
    const vctx = await browser.newContext();
    const vpage = await vctx.newPage();
    const vlog = watchConsole(vpage);
    await shop.open(vpage, `<!doctype html><title>Shop</title><body><h1>Shop</h1>${seedSnippet(url, site.sysnum)}</body>`);
    const host = new HostPage(vpage);
    await host.open();
    await host.chat.send('Is the blue one in stock?');
    await host.chat.message('Is the blue one in stock?', 'visitor').waitFor();

    // The agent: the console the binary serves.
    const actx = await browser.newContext({ viewport: { width: 1280, height: 800 } });
    const c = new ConsolePage(await actx.newPage());
    const clog = watchConsole(c.page);
    await c.login({ url }, 'kf1@pkg', password);
    const item = c.guest('mine', 'Is the blue one in stock?');
    await item.waitFor();
    await item.getByRole('button').click();
    await c.message('Is the blue one in stock?', 'visitor').waitFor();
    await c.send('Yes, two left.');
    await host.chat.message('Yes, two left.', 'agent').waitFor();

    // A reload keeps the conversation (served by the same packaged binary).
    await vpage.reload();
    await host.open();
    await host.chat.message('Yes, two left.', 'agent').waitFor();
    assert.deepEqual(vlog.errors, []);
    assert.deepEqual(clog.errors, []);
  } finally {
    await browser.close();
    await shop.close();
  }
  child.kill('SIGTERM');
  await new Promise((r) => child.once('exit', r));

  execFileSync('dpkg', ['--purge', 'frontdesk'], { stdio: 'inherit' });
  assert.ok(!existsSync('/usr/bin/frontdesk') && !existsSync('/var/lib/frontdesk'), 'purge removes binary and data');
});

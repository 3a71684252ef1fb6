#!/usr/bin/env node
// Builds one installable tarball, dist/sluice-<version>.tgz, from the compiled workspace
// (`npm run package` builds first). `npm install -g ./sluice-<version>.tgz` installs it with no
// registry, no compiler and no workspace: every runtime dependency is inside (bundleDependencies).
//
// The staging directory (dist/package/) holds:
//   bin/sluice.js, dist/        apps/sluice: the command and its compiled code
//   node_modules/@sluice/<lib>  each private lib's compiled files that the command can load
//   node_modules/<pkg>          each third-party package those files require, with its own
//                               dependencies, copied from the workspace's node_modules as npm ci
//                               installed them (same versions as package-lock.json)
//   deploy/, README.md          the systemd unit, the haproxy example and the deployment guide
// Which files and packages are needed is found by following require() calls from the entry points
// (the CLI and the worker every component runs in), so the list never goes stale.
//
// Native modules (zeromq's prebuilt addon, @node-rs/crc32) are the ones npm ci installed for this
// machine, so the tarball is for this platform: its package.json says os/cpu and npm refuses it
// elsewhere. zeromq's prebuilds for other operating systems, CPUs and C libraries are left out (its
// loader only considers builds listed in build/manifest.json for the running os, cpu and libc); its
// builds for every Node ABI of this platform stay.
import { spawnSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const OUT = join(ROOT, 'dist');
const STAGE = join(OUT, 'package');
const ROOT_MODULES = join(ROOT, 'node_modules');
const APP = join(ROOT, 'apps', 'sluice');
/** The C library native modules are linked against, named as zeromq's manifest and npm's `libc` name it. */
const LIBC = { linux: process.report.getReport().header.glibcVersionRuntime ? 'glibc' : 'musl', darwin: 'libc', win32: 'msvc' }[process.platform];
const ENTRIES = [join(APP, 'bin', 'sluice.js'), join(APP, 'dist', 'main.js'), join(ROOT, 'libs', 'runtime', 'dist', 'worker-main.js')];

function fail(message) {
  console.error(`package: ${message}`);
  process.exit(1);
}

const readJson = (file) => JSON.parse(readFileSync(file, 'utf8'));
const app = readJson(join(APP, 'package.json'));
const rootPkg = readJson(join(ROOT, 'package.json'));

for (const entry of ENTRIES) if (!existsSync(entry)) fail(`${relative(ROOT, entry)} is missing: run \`npm run build\` first`);

/** The workspace's own packages (@sluice/*): name → directory. */
const workspace = new Map();
for (const lib of readdirSync(join(ROOT, 'libs'))) {
  const file = join(ROOT, 'libs', lib, 'package.json');
  if (existsSync(file)) workspace.set(readJson(file).name, join(ROOT, 'libs', lib));
}
workspace.set(app.name, APP);

/** The package name in a bare specifier: `cmake-ts/build/loader` → `cmake-ts`, `@a/b/c` → `@a/b`. */
function packageName(spec) {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** The workspace package (its dir) that contains `file`. */
function ownerOf(file) {
  for (const dir of workspace.values()) if (file.startsWith(dir + sep)) return dir;
  fail(`${file} is outside the workspace packages`);
}

// 1. Follow require() from the entry points through the workspace's compiled files.
const files = new Set();
const external = new Map(); // package name → the directory its first requirer lives in
const queue = [...ENTRIES];
while (queue.length > 0) {
  const file = queue.pop();
  if (files.has(file)) continue;
  files.add(file);
  const source = readFileSync(file, 'utf8');
  for (const [, spec] of source.matchAll(/\brequire\(["']([^"']+)["']\)/g)) {
    if (spec.startsWith('node:') || builtinModules.includes(spec)) continue;
    if (spec.startsWith('.')) {
      let target = resolve(dirname(file), spec);
      if (!existsSync(target) && existsSync(target + '.js')) target += '.js';
      if (existsSync(target) && statSync(target).isDirectory()) target = join(target, 'index.js');
      if (!existsSync(target)) fail(`${relative(ROOT, file)} requires ${spec}, which does not exist`);
      if (target === join(APP, 'package.json')) continue; // the generated package.json takes its place
      queue.push(target);
    } else if (workspace.has(packageName(spec))) {
      const dir = workspace.get(packageName(spec));
      const rest = spec.slice(packageName(spec).length);
      queue.push(rest === '' ? join(dir, readJson(join(dir, 'package.json')).main ?? 'index.js') : join(dir, rest + (rest.endsWith('.js') ? '' : '.js')));
    } else {
      // A runtime dependency is declared by the lib that requires it or by the workspace root.
      const owner = readJson(join(ownerOf(file), 'package.json'));
      const name = packageName(spec);
      if (owner.dependencies?.[name] === undefined && rootPkg.dependencies?.[name] === undefined) {
        fail(`${relative(ROOT, file)} requires ${spec}, which neither ${owner.name}'s package.json nor the root's lists in dependencies`);
      }
      if (!external.has(name)) external.set(name, dirname(file));
    }
  }
}
// Every dependency a loaded lib declares is bundled, also those loaded by name at run time rather
// than by require() (pino loads its pino-pretty transport in a worker thread).
for (const dir of new Set([...files].map(ownerOf))) {
  for (const name of Object.keys(readJson(join(dir, 'package.json')).dependencies ?? {})) {
    if (!workspace.has(name) && !external.has(name)) external.set(name, dir);
  }
}

// 2. Resolve each third-party package and, recursively, its dependencies, as node would.
/** The directory node would load package `name` from, looking up from `fromDir`. */
function findPackage(name, fromDir) {
  for (let dir = fromDir; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dirname(dir) === dir) return undefined;
  }
}

const packages = new Map(); // installed dir → its package.json
const pending = [...external].map(([name, from]) => ({ name, from, optional: false }));
while (pending.length > 0) {
  const { name, from, optional } = pending.pop();
  const dir = findPackage(name, from);
  if (dir === undefined) {
    if (optional) continue; // another platform's optional build, not installed here
    fail(`cannot find ${name} (required from ${relative(ROOT, from)}): run \`npm ci\``);
  }
  if (!dir.startsWith(ROOT_MODULES + sep)) fail(`${name} resolves to ${dir}, outside ${ROOT_MODULES}`);
  if (packages.has(dir)) continue;
  const pkg = readJson(join(dir, 'package.json'));
  packages.set(dir, pkg);
  for (const dep of Object.keys(pkg.dependencies ?? {})) pending.push({ name: dep, from: dir, optional: false });
  for (const dep of Object.keys(pkg.optionalDependencies ?? {})) pending.push({ name: dep, from: dir, optional: true });
}

// 3. Stage.
rmSync(STAGE, { recursive: true, force: true });
mkdirSync(STAGE, { recursive: true });

/** Where a workspace file goes: apps/sluice at the package root, libs under node_modules/@sluice. */
function stagedPath(file) {
  const owner = ownerOf(file);
  if (owner === APP) return join(STAGE, relative(APP, file));
  return join(STAGE, 'node_modules', readJson(join(owner, 'package.json')).name, relative(owner, file));
}
for (const file of files) {
  mkdirSync(dirname(stagedPath(file)), { recursive: true });
  cpSync(file, stagedPath(file), { preserveTimestamps: true });
}

const libs = [...new Set([...files].map(ownerOf))].filter((dir) => dir !== APP);
for (const dir of libs) {
  const pkg = readJson(join(dir, 'package.json'));
  const manifest = { name: pkg.name, version: pkg.version, private: true, license: 'Apache-2.0', main: pkg.main, dependencies: pkg.dependencies };
  writeFileSync(join(STAGE, 'node_modules', pkg.name, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');
}

for (const dir of packages.keys()) {
  const target = join(STAGE, 'node_modules', relative(ROOT_MODULES, dir));
  cpSync(dir, target, { recursive: true, preserveTimestamps: true, filter: (src) => !relative(dir, src).split(sep).includes('node_modules') });
}
pruneZeromq(join(STAGE, 'node_modules', 'zeromq'));

/** Keeps only zeromq's prebuilds that its manifest lists for this os, cpu and C library. */
function pruneZeromq(dir) {
  const build = join(dir, 'build');
  if (!existsSync(join(build, 'manifest.json'))) fail(`${build}/manifest.json is missing: zeromq's prebuilds are not there`);
  const manifest = readJson(join(build, 'manifest.json'));
  const keep = {};
  for (const [key, path] of Object.entries(manifest)) {
    const config = JSON.parse(key);
    if (config.os === process.platform && config.arch === process.arch && (config.libc ?? LIBC) === LIBC) keep[key] = path;
  }
  if (Object.keys(keep).length === 0) fail(`zeromq has no prebuilt addon for ${process.platform} ${process.arch}`);
  const kept = new Set(Object.values(keep).map((p) => join(build, ...p.split(/[\\/]/))));
  const walk = (d) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) {
        walk(path);
        if (readdirSync(path).length === 0) rmSync(path, { recursive: true });
      } else if (path.endsWith('.node') && !kept.has(path)) rmSync(path);
    }
  };
  walk(build);
  writeFileSync(join(build, 'manifest.json'), JSON.stringify(keep));
}

cpSync(join(ROOT, 'deploy'), join(STAGE, 'deploy'), { recursive: true });
cpSync(join(ROOT, 'README.md'), join(STAGE, 'README.md'));

const bundled = readdirSync(join(STAGE, 'node_modules'))
  .flatMap((name) => (name.startsWith('@') ? readdirSync(join(STAGE, 'node_modules', name)).map((n) => `${name}/${n}`) : [name]))
  .filter((name) => !name.startsWith('.'))
  .sort();
const version = (name) => readJson(join(STAGE, 'node_modules', name, 'package.json')).version;
const manifest = {
  name: 'sluice',
  version: app.version,
  description: 'A Flume-compatible log and event collector',
  license: 'Apache-2.0',
  engines: { node: '>=20' },
  os: [process.platform],
  cpu: [process.arch],
  ...(process.platform === 'linux' ? { libc: [LIBC] } : {}),
  bin: { sluice: 'bin/sluice.js' },
  files: ['bin', 'dist', 'deploy'],
  dependencies: Object.fromEntries(bundled.map((name) => [name, version(name)])),
  bundleDependencies: bundled,
};
writeFileSync(join(STAGE, 'package.json'), JSON.stringify(manifest, null, 2) + '\n');

// 4. Pack. npm pack reads only the staging directory; nothing is fetched.
const tarball = join(OUT, `sluice-${app.version}.tgz`);
rmSync(tarball, { force: true });
const pack = spawnSync('npm', ['pack', '--offline', '--ignore-scripts', '--pack-destination', OUT], { cwd: STAGE, encoding: 'utf8' });
if (pack.status !== 0 || !existsSync(tarball)) fail(`npm pack failed (exit ${pack.status}):\n${pack.stderr}`);
const size = statSync(tarball).size;
console.log(`${relative(process.cwd(), tarball) || tarball}: ${(size / 1024 / 1024).toFixed(1)} MiB, ${files.size} Sluice files, ${packages.size} third-party packages, for ${process.platform}-${process.arch}`);

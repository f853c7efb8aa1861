// The `tributary` command's code, compiled once per version of the sources. Run through tsx, each
// command transformed and loaded some 150 TypeScript files one by one (with their source maps)
// before doing anything: about 0.7 s of CPU on every `tributary run`. esbuild compiles them into
// one CommonJS file instead, cached by a hash of every source and the lockfile, so an edited file
// gives a new bundle and a stale one is never loaded. Packages stay external (native ones cannot be
// bundled), so the bundle lives under node_modules/.cache, where `require` finds them. Each module
// keeps its own __dirname. TRIBUTARY_NO_CLI_BUNDLE=1, or any failure to bundle, runs the sources
// through tsx as before. Plain Node.
const { existsSync, mkdirSync, readFileSync, renameSync } = require('node:fs');
const path = require('node:path');
const { contentKey, keepNewest } = require('./contentCache.cjs');

const ROOT = path.resolve(__dirname, '..');
/** Every folder of sources the command can load: cli/ and all below it. */
const SOURCE_FOLDERS = [
  'cli',
  'workflows',
  'activities',
  'workers',
  'pipeline',
  'runtime',
  'metrics',
  'datagen',
  'common',
];
const CACHE = path.join(ROOT, 'node_modules', '.cache', 'tributary');
const KEEP = 3;

/**
 * A hash of the sources under `root`, its lockfile and where it is (the bundle holds each module's
 * folder: another checkout sharing node_modules must not load it): the bundle's name.
 */
function sourceKey(root = ROOT) {
  return contentKey({
    root,
    folders: SOURCE_FOLDERS,
    pattern: /\.(ts|json)$/,
    extra: ['package-lock.json'],
    salt: root,
  });
}

/** Gives each source module its own __dirname and __filename, as it has when run from source. */
const ownDirname = {
  name: 'own-dirname',
  setup(build) {
    build.onLoad({ filter: /\.ts$/ }, (args) => {
      if (args.path.includes(`${path.sep}node_modules${path.sep}`)) return undefined;
      const source = readFileSync(args.path, 'utf8');
      const names =
        `const __dirname = ${JSON.stringify(path.dirname(args.path))};\n` +
        `const __filename = ${JSON.stringify(args.path)};\n`;
      return { contents: names + source, loader: 'ts' };
    });
  },
};

async function build(outfile) {
  const esbuild = require('esbuild');
  mkdirSync(path.dirname(outfile), { recursive: true });
  const partial = `${outfile}.${process.pid}.tmp`;
  await esbuild.build({
    entryPoints: [path.join(ROOT, 'cli', 'main.ts')],
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: `node${process.versions.node.split('.')[0]}`,
    packages: 'external',
    outfile: partial,
    sourcemap: 'inline',
    plugins: [ownDirname],
    logLevel: 'silent',
  });
  renameSync(partial, outfile);
  keepNewest(CACHE, /^cli-[0-9a-f]+\.cjs$/, KEEP);
}

/** The CLI's main module: from its cached bundle (built now if needed), else from source through tsx. */
async function loadCli() {
  if (process.env.TRIBUTARY_NO_CLI_BUNDLE !== '1') {
    try {
      const bundle = path.join(CACHE, `cli-${sourceKey()}.cjs`);
      if (!existsSync(bundle)) await build(bundle);
      process.setSourceMapsEnabled(true); // stack traces name the sources' lines
      return require(bundle);
    } catch {
      // fall through: tsx reports what is wrong with the sources in its own words
    }
  }
  require('tsx/cjs');
  return require('../cli/main.ts');
}

module.exports = { loadCli, sourceKey, SOURCE_FOLDERS };

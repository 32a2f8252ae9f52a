// The seed walkthrough end to end with every nuncio on Node.js: the four checks are in
// test/helpers/seed-walkthrough.ts (seed-topology-bun.test.ts runs them with the front proxy on Bun).
import { seedWalkthrough } from '../helpers/seed-walkthrough.js';

seedWalkthrough();

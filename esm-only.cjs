'use strict';
// Reached only through the "require" condition of package.json "exports": this package is ESM.
throw new Error(
  'clawgate is an ES module package: load it with import (or `await import()` from CommonJS), not require(). ' +
    'See the README, "ESM only".',
);

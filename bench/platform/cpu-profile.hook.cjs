// Preloaded into every process of the idle and turn-cost benches when they profile (NODE_OPTIONS=
// --require this file):
// on SIGWINCH the process records a V8 CPU profile of its main thread for CPU_PROFILE_SECONDS and writes
// it to CPU_PROFILE_DIR/<pid>.cpuprofile. A profile of a span chosen from outside, which --cpu-prof
// (start to exit, and only at a normal exit) cannot give. SIGWINCH because Nest's shutdown hooks take
// SIGUSR2, and its default action is to be ignored.
'use strict';
const { Session } = require('node:inspector');
const { writeFileSync } = require('node:fs');
const { join } = require('node:path');

process.on('SIGWINCH', () => {
  const session = new Session();
  session.connect();
  session.post('Profiler.enable', () =>
    session.post('Profiler.start', () => {
      setTimeout(
        () =>
          session.post('Profiler.stop', (error, result) => {
            if (!error) {
              const file = join(process.env.CPU_PROFILE_DIR, `${process.pid}.cpuprofile`);
              writeFileSync(file, JSON.stringify(result.profile));
            }
            session.disconnect();
          }),
        Number(process.env.CPU_PROFILE_SECONDS) * 1000,
      );
    }),
  );
});

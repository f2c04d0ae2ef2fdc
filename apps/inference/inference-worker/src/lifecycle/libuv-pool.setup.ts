// Owns the worker's libuv thread-pool size; main.ts imports it first. node-llama-cpp runs every decode
// and sampling on libuv's pool, and more than one pool thread lets them preempt llama.cpp's compute
// threads (see the worker's README). libuv reads UV_THREADPOOL_SIZE once, when the pool starts, and
// plain Node starts it lazily (the first async fs, dns, crypto or zlib call): loading the compiled
// main.js only reads files synchronously, so setting it here, before any other module runs, is early
// enough (measured: 3 fewer threads than with the variable unset). An explicit value wins. A loader
// that uses the pool before main.js runs (tsx, `NODE_OPTIONS=--import …`) starts it first: set the
// variable in the environment there.
process.env['UV_THREADPOOL_SIZE'] ??= '1';

'use strict';

// The JS twin of io.kongjava.bench.plugin.PdkCallsPlugin: the access phase makes exactly `calls` PDK calls.
class BenchCalls {
  constructor(config) {
    this.config = config
  }

  async access(kong) {
    for (let i = 0; i < this.config.calls; i++) {
      await kong.request.getHeader('x-bench')
    }
  }
}

module.exports = {
  Plugin: BenchCalls,
  Name: 'bench-calls',
  Schema: [
    { calls: { type: 'integer', default: 0 } },
  ],
  Version: '0.1.0',
  Priority: 0,
}

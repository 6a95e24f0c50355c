'use strict';

// Our JS twin of Kong's js-hello example (and of the Java example java-hello): greets the client in a
// response header naming the host it called. One plugin per directory: Kong 3.9+ reads only the first
// plugin of a dump.
class HelloPlugin {
  constructor(config) {
    this.config = config
  }

  async access(kong) {
    const host = await kong.request.getHeader('host')
    if (host === undefined || host === null) {
      return await kong.log.err('unable to get header for request')
    }
    const message = this.config.message || 'hello'
    await kong.response.setHeader('x-hello-from-javascript', `Javascript says ${message} to ${host}`)
    await kong.response.setHeader('x-javascript-pid', `${process.pid}`)
  }
}

module.exports = {
  Plugin: HelloPlugin,
  Schema: [{ message: { type: 'string' } }],
  Version: '0.1.0',
  Priority: 0,
}

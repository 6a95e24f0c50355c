'use strict';

// The JS twin of plugin-server's GreeterPlugin test plugin: the same observable behaviour, so the same
// Kong-side scenarios run against Kong's JS plugin server and against ours.
class GreeterPlugin {
  constructor(config) {
    this.config = config
  }

  async access(kong) {
    if (this.config.fail) {
      throw new Error('plugin bug on purpose')
    }
    if (this.config.deny_header && await kong.request.getHeader(this.config.deny_header)) {
      return await kong.response.exit(403, 'denied', { 'x-denied': 'yes' })
    }
    const headers = await kong.request.getHeaders()
    const name = headers['x-name'] ? headers['x-name'][0] : 'world'
    for (let i = 0; i < (this.config.extra_calls || 0); i++) {
      await kong.request.getHeader('x-name')
    }
    await kong.response.setHeader('x-greeting', `${this.config.greeting} ${name}`)
  }

  async log(kong) {
    await kong.log.serialize()
  }
}

module.exports = {
  Plugin: GreeterPlugin,
  Name: 'test-greeter',
  Schema: [
    { greeting: { type: 'string', default: 'hello' } },
    { extra_calls: { type: 'integer', default: 0 } },
    { deny_header: { type: 'string' } },
    { fail: { type: 'boolean', default: false } },
  ],
  Version: '1.2.3',
  Priority: 1000,
}

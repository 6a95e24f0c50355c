'use strict';

// The JS twin of java-file-log's core work, for the harness benchmark (HarnessBench): in the log phase, read
// Kong's serialized log record and append it to `path` as one JSON line. One write per line on a descriptor
// kept open per path, as java-file-log's appender does. Alone in its directory: Kong 3.9+ reads only the
// first plugin of a dump.
const fs = require('fs')

const descriptors = new Map()

function descriptorFor(path) {
  let fd = descriptors.get(path)
  if (fd === undefined) {
    fd = fs.openSync(path, 'a', 0o644)
    descriptors.set(path, fd)
  }
  return fd
}

class FileLogPlugin {
  constructor(config) {
    this.config = config
  }

  async log(kong) {
    const serialized = await kong.log.serialize()
    const record = typeof serialized === 'string' ? JSON.parse(serialized) : serialized
    fs.writeSync(descriptorFor(this.config.path), JSON.stringify(record) + '\n')
  }
}

module.exports = {
  Plugin: FileLogPlugin,
  Schema: [{ path: { type: 'string', required: true } }],
  Version: '0.1.0',
  Priority: 9,
}

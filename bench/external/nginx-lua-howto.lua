-- A LOWER BOUND of the per-request work Kong does for the how-to, for bench/external/overhead.sh
-- (NGINX_LUA_REFERENCE=true). This is not Kong: it is nginx plus the smallest Lua that does what Kong's
-- ai-proxy (route_type llm/v1/chat, llm_format anthropic, provider anthropic, logging.log_statistics true)
-- and Kong's file-log do for each request. Kong adds its router, PDK (phase checks, header validation),
-- plugins iterator, balancer_by_lua, Kong's own upstream headers and timings on top of this.
--
-- Written from reading Kong 3.9.3 (nothing copied):
--   kong/plugins/ai-proxy/handler.lua, kong/llm/plugin/base.lua          which filter runs in which phase
--   kong/llm/plugin/shared-filters/parse-request.lua, enable-buffering.lua  access: body, model, stream, start time
--   kong/llm/plugin/shared-filters/normalize-request.lua                  access: validation, model rules, re-encoding
--   kong/llm/drivers/anthropic.lua (configure_request, stream events)    upstream path, anthropic-version, key
--   kong/llm/drivers/shared.lua (merge_model_options, frame_to_events)   per-request model copy, SSE splitting
--   kong/init.lua (Kong.response)                                        non-streamed: buffered through a subrequest
--   shared-filters/normalize-response-header, parse-json-response,      header_filter: latency end, usage, headers
--     normalize-json-response, parse-sse-chunk, normalize-sse-chunk     body_filter: SSE usage
--   shared-filters/serialize-analytics.lua, kong/llm/plugin/observability.lua  ai.proxy.meta / ai.proxy.usage
--   kong/plugins/file-log/handler.lua, kong/pdk/log.lua (serialize)      log: the record, one write(2) per request
-- Kong 3.9.3 has no native Anthropic format (llm_format is openai, bedrock or gemini there); llm_format anthropic is
-- Kong Gateway 3.13+ (Enterprise, not public): where the two differ this follows 3.9.3's native formats' code paths.
-- Native Anthropic analytics (cache tokens in the prompt count, message_delta's cumulative output count, request_mode,
-- time_to_first_token, the key header redacted) follow Kong Gateway 3.13+ as its ai-proxy documentation describes them.

local cjson = require "cjson.safe"
local ffi = require "ffi"

local C = ffi.C
local find, sub, floor = string.find, string.sub, math.floor
local ngx, pairs, type, tonumber = ngx, pairs, type, tonumber

ffi.cdef [[
int open(const char *pathname, int flags, int mode);
ssize_t write(int fd, const void *buf, size_t count);
]]
-- Linux values (Kong's file-log reads them from lua_system_constants): O_WRONLY|O_CREAT|O_APPEND, mode 0644
local OPEN_FLAGS, OPEN_MODE = bit.bor(0x1, 0x40, 0x400), 420

local _M = {}

-- the how-to's plugin configuration (bench/external/overhead.sh, route "howto"), filled in by configure()
local CONF = {
  plugin_id = "5d0c3a4e-6f1b-4c2a-9a57-0b1e6d1f2a3c",
  route_type = "llm/v1/chat",
  llm_format = "anthropic",
  auth = { header_name = "x-api-key", header_value = "sk-ant-bench-key", allow_override = false },
  model = {
    provider = "anthropic",
    name = "claude-sonnet-4-5-20250929",
    options = { anthropic_version = "2023-06-01", upstream_path = "/v1/messages" },
  },
  logging = { log_statistics = true, log_payloads = false },
}
local AUTH_VAR = "http_" .. CONF.auth.header_name:gsub("-", "_")
local log_path, upstream_ip, upstream_port
-- the entities Kong's serialize() deep-copies into every record (the usual fields of a declarative route/service)
local SERVICE, ROUTE

function _M.configure(opts)
  log_path, upstream_ip, upstream_port = opts.log_path, opts.upstream_host, opts.upstream_port
  SERVICE = {
    id = "0b6c1f6e-2f7a-4c55-8e0e-3c1d8a9b7f10", name = "fake", protocol = "http", host = upstream_ip,
    port = upstream_port, retries = 5, connect_timeout = 60000, read_timeout = 60000, write_timeout = 60000,
    enabled = true, created_at = 1700000000, updated_at = 1700000000, ws_id = "7a3c1e55-0d3b-4f6e-a2c9-5b8e1f0d4c21",
  }
  ROUTE = {
    id = "c4f5e8a1-9b2d-4e7f-8a6c-1d3b5e7f9a02", name = "howto", paths = { "/anything" }, protocols = { "http", "https" },
    strip_path = true, preserve_host = false, regex_priority = 0, https_redirect_status_code = 426,
    path_handling = "v0", request_buffering = true, response_buffering = true,
    created_at = 1700000000, updated_at = 1700000000, ws_id = SERVICE.ws_id, service = { id = SERVICE.id },
  }
end

local function deep_copy(v)
  if type(v) ~= "table" then
    return v
  end
  local t = {}
  for k, x in pairs(v) do
    t[k] = deep_copy(x)
  end
  return t
end

-- Kong copies the configured model for every request, looking for $(source.key) templates in its strings
-- (none in the how-to, so none to evaluate)
local function request_model_conf(t)
  local out = {}
  for k, v in pairs(t) do
    if type(v) == "table" then
      out[k] = request_model_conf(v)
    else
      if type(v) == "string" and find(v, "$(", 1, true) then
        error("model templates are not supported by this reference")
      end
      out[k] = v
    end
  end
  return out
end

local function now_ms()
  ngx.update_time()
  return ngx.now() * 1000
end

-- kong.response.exit(status, { error = { message = ... } })
local function bail(status, message)
  local body = cjson.encode({ error = { message = message } })
  ngx.status = status
  ngx.header["Content-Type"] = "application/json; charset=utf-8"
  ngx.header["Content-Length"] = #body
  ngx.print(body)
  return ngx.exit(status)
end

local HTTP_METHODS = { GET = ngx.HTTP_GET, POST = ngx.HTTP_POST, PUT = ngx.HTTP_PUT, PATCH = ngx.HTTP_PATCH,
                       DELETE = ngx.HTTP_DELETE, HEAD = ngx.HTTP_HEAD, OPTIONS = ngx.HTTP_OPTIONS }

function _M.access()
  local ctx = ngx.ctx
  local var = ngx.var
  ctx.processing_start = ngx.req.start_time() * 1000
  ctx.ai_meta = { provider = "UNSPECIFIED", name = "UNSPECIFIED" }

  -- parse-request: whole body (a spooled one read from its file), JSON-decoded; anything else is "no body"
  ctx.accept_gzip = find(var.http_accept_encoding or "", "gzip", 1, true) ~= nil
  ngx.req.read_body()
  local raw = ngx.req.get_body_data()
  if not raw then
    local file = ngx.req.get_body_file()
    local f = file and io.open(file, "rb")
    if f then
      raw = f:read("*a")
      f:close()
    end
  end
  local content_type = var.http_content_type or "application/json"
  local body = raw and find(content_type, "application/json", 1, true) and cjson.decode(raw) or nil
  if type(body) ~= "table" then
    body = nil
  end
  if body then
    -- the llm_format adapter's view of the request: provider = the format, name = the body's model
    ctx.ai_meta = { provider = CONF.llm_format, name = type(body.model) == "string" and body.model or nil }
    ctx.stream_mode = body.stream and true or false -- JSON null is a true value in Lua, as in Kong
  end
  ngx.update_time()
  ctx.ai_start = ngx.now() -- observability.record_request_start

  -- normalize-request: model merged from the configuration, prompt validation, model rules, compatibility
  local model = request_model_conf(CONF.model)
  if not (body and type(body.messages) == "table" and #body.messages > 0) then
    return bail(400, "request body doesn't contain valid prompts")
  end
  local request = { messages = body.messages } -- every member but messages is deep-copied, as Kong does
  for k, v in pairs(body) do
    if k ~= "messages" then
      request[k] = deep_copy(v)
    end
  end
  if type(request.model) == "string" and request.model ~= "" and request.model ~= model.name then
    return bail(400, "cannot use own model - must be: " .. model.name)
  end
  ctx.ai_meta = { provider = model.provider, name = model.name }
  if request.prompt ~= nil then
    return bail(400, "request matches multiple LLM request formats")
  end
  ctx.stream_mode = request.stream and true or false

  -- the body sent upstream: a native format passes the client's bytes through; only a body without the pinned
  -- model is re-encoded with it (the least work; Kong's OpenAI-format path re-encodes every body)
  if request.model ~= model.name then
    request.model = model.name
    ngx.req.set_body_data(cjson.encode(request))
    ngx.req.set_header("Content-Type", "application/json")
  end

  -- anthropic driver's configure_request: upstream path (+ the client's query, as Kong core appends it),
  -- anthropic-version, and the operator's key in place of the client's
  local args = var.args
  var.upstream_uri = model.options.upstream_path .. (args and args ~= "" and "?" .. args or "")
  ngx.req.set_header("anthropic-version", model.options.anthropic_version)
  if var[AUTH_VAR] == nil or not CONF.auth.allow_override then
    ngx.req.set_header(CONF.auth.header_name, CONF.auth.header_value)
  end

  ctx.access_ended = now_ms()
  ctx.tries = { { balancer_start = ctx.access_ended, balancer_latency = 0, ip = upstream_ip, port = upstream_port } }

  if ctx.stream_mode then
    return -- proxied by proxy_pass; the stream is read in body_filter
  end

  -- enable-buffering: a non-streamed answer is proxied through a subrequest and buffered whole (Kong.response)
  local res = ngx.location.capture("/kong_buffered_http", {
    always_forward_body = true, share_all_vars = true, ctx = ctx,
    method = HTTP_METHODS[ngx.req.get_method()] or ngx.HTTP_POST,
  })
  if res.truncated then
    return ngx.exit(502)
  end
  ctx.response_start = now_ms()
  ctx.waiting_time = ctx.response_start - ctx.access_ended
  ctx.proxy_latency = ctx.response_start - ctx.processing_start
  ctx.buffered_status, ctx.buffered_body = res.status, res.body
  ngx.status = res.status
  for name, value in pairs(res.header) do
    ngx.header[name] = value
  end
  ngx.print(res.body)
  return ngx.exit(res.status)
end

local function set_usage(ctx, usage)
  if type(usage) ~= "table" then
    return
  end
  if tonumber(usage.input_tokens) then
    ctx.ai_prompt = usage.input_tokens + (tonumber(usage.cache_creation_input_tokens) or 0)
                    + (tonumber(usage.cache_read_input_tokens) or 0)
  end
  if tonumber(usage.output_tokens) then
    ctx.ai_completion = usage.output_tokens -- cumulative in message_delta: replaces, never adds
  end
end

function _M.header_filter()
  local ctx = ngx.ctx
  if not ctx.ai_start then
    return
  end
  if not ctx.response_start then -- streamed, or answered by the gateway: Kong's header_filter timings
    ctx.response_start = now_ms()
    ctx.proxy_latency = ctx.response_start - ctx.processing_start
    if ctx.access_ended then
      ctx.waiting_time = ctx.response_start - ctx.access_ended
    end
  end
  local status = ngx.status
  if ctx.stream_mode then
    if status == 200 then
      ngx.header["Content-Type"] = "text/event-stream"
      ctx.sse = true
    end
    return
  end
  -- parse-json-response: latency end, then usage and model from the buffered body
  ctx.ai_latency = floor((ngx.now() - ctx.ai_start) * 1000)
  local body = ctx.buffered_body
  if body then
    local t = cjson.decode(body)
    if type(t) == "table" then
      set_usage(ctx, t.usage)
      ctx.ai_response_model = type(t.model) == "string" and t.model or nil
    end
  end
  if not ctx.accept_gzip then -- normalize-response-header / normalize-json-response
    ngx.header["Content-Encoding"] = nil
  end
  if status == 200 and body and not ctx.accept_gzip then
    ngx.header["Content-Length"] = #body
  end
end

-- one complete SSE event ("event: ...\ndata: ...")
local function sse_event(ctx, block)
  local name, data
  local pos = 1
  while pos <= #block do
    local nl = find(block, "\n", pos, true) or #block + 1
    local colon = find(block, ":", pos, true)
    if colon and colon > pos and colon < nl then
      local field = sub(block, pos, colon - 1)
      local value = sub(block, colon + 1, nl - 1)
      if sub(value, 1, 1) == " " then
        value = sub(value, 2)
      end
      if field == "event" then
        name = value
      elseif field == "data" then
        data = value
      end
    end
    pos = nl + 1
  end
  local t = data and cjson.decode(data)
  if type(t) ~= "table" then
    return
  end
  name = name or t.type
  if name == "message_start" and type(t.message) == "table" then
    set_usage(ctx, t.message.usage)
    ctx.ai_response_model = type(t.message.model) == "string" and t.message.model or ctx.ai_response_model
  elseif name == "message_delta" then
    set_usage(ctx, t.usage)
  end
end

function _M.body_filter()
  local ctx = ngx.ctx
  if not ctx.sse then
    return
  end
  local chunk, eof = ngx.arg[1], ngx.arg[2]
  if chunk ~= "" then
    if not ctx.ai_first_byte then
      ngx.update_time()
      ctx.ai_first_byte = ngx.now()
    end
    -- split into events (a blank line ends one); an unfinished event waits for the next chunk
    local buf = ctx.sse_tail and ctx.sse_tail .. chunk or chunk
    local pos = 1
    while true do
      local e = find(buf, "\n\n", pos, true)
      if not e then
        break
      end
      sse_event(ctx, sub(buf, pos, e - 1))
      pos = e + 2
    end
    ctx.sse_tail = pos <= #buf and sub(buf, pos) or nil
  end
  if eof then
    ngx.update_time()
    ctx.ai_latency = floor((ngx.now() - ctx.ai_start) * 1000)
  end
  -- the bytes themselves pass through untouched (llm_format anthropic)
end

-- file-log keeps one descriptor per path per worker
local fds = {}

local function append(path, line)
  local fd = fds[path]
  if not fd then
    fd = C.open(path, OPEN_FLAGS, OPEN_MODE)
    if fd < 0 then
      ngx.log(ngx.ERR, "failed to open the file: ", path)
      return
    end
    fds[path] = fd
  end
  C.write(fd, line, #line)
end

function _M.log()
  local ctx = ngx.ctx
  local var = ngx.var

  -- serialize-analytics: ai.proxy.meta and ai.proxy.usage
  local ai
  if ctx.ai_meta and CONF.logging.log_statistics then
    local prompt, completion = ctx.ai_prompt or 0, ctx.ai_completion or 0
    local latency = ctx.ai_latency or (ctx.ai_start and floor((ngx.now() - ctx.ai_start) * 1000)) or 0
    ai = {
      proxy = {
        meta = {
          plugin_id = CONF.plugin_id,
          provider_name = ctx.ai_meta.provider,
          request_model = ctx.ai_meta.name or "UNSPECIFIED",
          response_model = ctx.ai_response_model or ctx.ai_meta.name or "UNSPECIFIED",
          llm_latency = latency,
          request_mode = ctx.stream_mode and "stream" or "oneshot",
        },
        usage = {
          prompt_tokens = prompt,
          completion_tokens = completion,
          total_tokens = prompt + completion,
          cost = 0, -- no input_cost/output_cost configured
          time_per_token = completion > 0 and latency / completion or 0,
          time_to_first_token = ctx.ai_first_byte and floor((ctx.ai_first_byte - ctx.ai_start) * 1000) or latency,
        },
      },
    }
  end

  -- kong.log.serialize()
  local headers = ngx.req.get_headers()
  if headers["authorization"] ~= nil then
    headers["authorization"] = "REDACTED"
  end
  if headers["proxy-authorization"] ~= nil then
    headers["proxy-authorization"] = "REDACTED"
  end
  if headers[CONF.auth.header_name] ~= nil then
    headers[CONF.auth.header_name] = "REDACTED"
  end
  local request_uri = var.request_uri or ""
  local record = {
    request = {
      id = var.request_id,
      uri = request_uri,
      url = var.scheme .. "://" .. var.host .. ":" .. var.server_port .. request_uri,
      querystring = ngx.req.get_uri_args(),
      method = ngx.req.get_method(),
      headers = headers,
      size = tonumber(var.request_length),
    },
    upstream_uri = var.upstream_uri or "",
    upstream_status = var.upstream_status or ctx.buffered_status or "",
    response = {
      status = ngx.status,
      headers = ngx.resp.get_headers(),
      size = tonumber(var.bytes_sent),
    },
    latencies = {
      kong = ctx.proxy_latency or 0,
      proxy = ctx.waiting_time or -1,
      request = tonumber(var.request_time) * 1000,
      receive = 0,
    },
    tries = ctx.tries,
    route = deep_copy(ROUTE),
    service = deep_copy(SERVICE),
    client_ip = var.remote_addr,
    started_at = ctx.processing_start or ngx.req.start_time() * 1000,
    source = ctx.waiting_time and "upstream" or "kong",
    workspace = SERVICE.ws_id,
    workspace_name = "default",
    ai = ai,
  }

  -- file-log: one JSON line per request, appended with write(2) in the log phase itself (as Kong 3.9.3 does)
  append(log_path, cjson.encode(record) .. "\n")
end

return _M

-- Drives delivery-lint's language server from Neovim's built-in LSP client, with no plugins and
-- no user config (works on Neovim 0.7: vim.lsp.start_client + vim.lsp.buf_attach_client).
--
--   nvim --headless -u NONE -i NONE -n -c 'luafile check.lua' file.ts
--
-- Attaches the server to the current buffer, waits for the buffer's diagnostics, writes them as
-- JSON to $DL_OUT and quits with 0 (`qa!`), or with 1 (`cq`) when they did not come in time or
-- anything failed (the JSON then says what). test/neovim/neovim.test.ts runs it.
--
-- Environment:
--   DL_SERVER      absolute path of dist/server.js (required)
--   DL_ROOT        the workspace folder, given to the server as root_dir (required)
--   DL_OUT         where to write the JSON result (required)
--   DL_NODE        the node executable (default: node)
--   DL_TIMEOUT_MS  how long to wait for each step (default: 20000)
--   DL_LOG_LEVEL   vim.lsp.set_log_level() for stdpath('cache')/lsp.log (default: warn)
--   DL_EDIT        optional JSON {"start": s, "end": e, "lines": [...]}: after the first
--                  diagnostics, replace buffer lines [s, e) (0-based, as nvim_buf_set_lines does),
--                  which Neovim sends as an incremental didChange, and wait for the diagnostics
--                  published for that version of the buffer.

local result = { events = {}, publishes = {} }
local started = vim.loop.hrtime()

local function elapsed_ms()
  return math.floor((vim.loop.hrtime() - started) / 1e6)
end

local function event(name)
  table.insert(result.events, { name = name, ms = elapsed_ms() })
end

local function env(name, default)
  local value = os.getenv(name)
  if value == nil or value == '' then
    if default ~= nil then
      return default
    end
    error('environment variable ' .. name .. ' is not set')
  end
  return value
end

local function realpath(path)
  return vim.loop.fs_realpath(path) or path
end

-- vim.diagnostic.get() items, made JSON-friendly (severity also by name).
local function diagnostics_of(bufnr)
  local items = {}
  for _, d in ipairs(vim.diagnostic.get(bufnr)) do
    table.insert(items, {
      lnum = d.lnum,
      col = d.col,
      end_lnum = d.end_lnum,
      end_col = d.end_col,
      severity = d.severity,
      severity_name = vim.diagnostic.severity[d.severity],
      code = d.code,
      source = d.source,
      message = d.message,
      lsp = d.user_data and d.user_data.lsp or vim.NIL,
    })
  end
  return items
end

local function finish(ok)
  result.ok = ok
  result.total_ms = elapsed_ms()
  local out = os.getenv('DL_OUT')
  if out and out ~= '' then
    local encoded_ok, encoded = pcall(vim.json.encode, result)
    if not encoded_ok then
      encoded = vim.json.encode({ ok = false, error = 'could not encode the result: ' .. tostring(encoded) })
      ok = false
    end
    local file = io.open(out, 'w')
    if file then
      file:write(encoded)
      file:close()
    end
  end
  for _, client in pairs(vim.lsp.get_active_clients()) do
    client.stop()
  end
  vim.wait(3000, function()
    return #vim.lsp.get_active_clients() == 0
  end, 20)
  vim.cmd(ok and 'qa!' or 'cq')
end

local function run()
  local v = vim.version()
  result.nvim = string.format('%d.%d.%d', v.major, v.minor, v.patch)
  local timeout = tonumber(env('DL_TIMEOUT_MS', '20000'))
  vim.lsp.set_log_level(env('DL_LOG_LEVEL', 'warn'))
  local bufnr = vim.api.nvim_get_current_buf()
  local fname = realpath(vim.api.nvim_buf_get_name(bufnr))
  result.file = fname
  -- -u NONE leaves filetype detection off; the filetype is the languageId of didOpen.
  vim.bo[bufnr].filetype = 'typescript'

  local default_handler = vim.lsp.handlers['textDocument/publishDiagnostics']
  vim.lsp.handlers['textDocument/publishDiagnostics'] = function(err, params, ctx, config)
    default_handler(err, params, ctx, config)
    if params and realpath(vim.uri_to_fname(params.uri)) == fname then
      table.insert(result.publishes, {
        ms = elapsed_ms(),
        version = params.version or vim.NIL,
        count = #params.diagnostics,
      })
    end
  end

  local client_id = vim.lsp.start_client({
    name = 'delivery-lint',
    cmd = { env('DL_NODE', 'node'), env('DL_SERVER'), '--stdio' },
    root_dir = env('DL_ROOT'),
    on_init = function()
      event('initialized')
    end,
    on_exit = function(code, signal)
      result.server_exit = { code = code, signal = signal }
    end,
  })
  if not client_id then
    error('vim.lsp.start_client did not start the server')
  end
  if not vim.lsp.buf_attach_client(bufnr, client_id) then
    error('vim.lsp.buf_attach_client failed')
  end
  event('attached')

  local came = vim.wait(timeout, function()
    return #vim.diagnostic.get(bufnr) > 0
  end, 20)
  result.diagnostics = diagnostics_of(bufnr)
  if not came then
    result.error = string.format('no diagnostics for %s within %d ms', fname, timeout)
    return false
  end
  event('diagnostics')

  local edit = os.getenv('DL_EDIT')
  if edit and edit ~= '' then
    local change = vim.json.decode(edit)
    local before = #result.publishes
    vim.api.nvim_buf_set_lines(bufnr, change.start, change['end'], false, change.lines)
    local version = vim.lsp.util.buf_versions[bufnr]
    result.edit_version = version
    local published = vim.wait(timeout, function()
      for i = before + 1, #result.publishes do
        if result.publishes[i].version == version then
          return true
        end
      end
      return false
    end, 20)
    result.after_edit = diagnostics_of(bufnr)
    if not published then
      result.error = string.format('no diagnostics for version %d of %s within %d ms', version, fname, timeout)
      return false
    end
    event('diagnostics after edit')
  end
  return true
end

local ok, value = pcall(run)
if not ok then
  result.error = tostring(value)
end
finish(ok and value == true)

namespace McpSseAuth.Redis;

/// <summary>
/// The Lua scripts of <see cref="RedisOAuthStorage"/>: one per operation, so each is atomic on the server (scripts run
/// alone). An entry is a hash at <c>{prefix}e:{key}</c>: <c>v</c> the value, <c>x</c> its expiry, <c>t</c> when it was taken,
/// <c>p</c> its partition. A partition is a set at <c>{prefix}p:{partition}</c> of its members' keys. Times are UTC ticks
/// written as 19 digits and "now" comes from McpSseAuth's clock as an argument: Redis's own clock only deletes, and later.
/// </summary>
/// <remarks>
/// The scripts reach partition sets and members by names built from arguments, not only through <c>KEYS</c>: fine on one
/// Redis (with or without replicas and Sentinel); on Redis Cluster every key must then share one slot (a prefix with a hash
/// tag, e.g. <c>{mcp-oauth}:</c>).
/// </remarks>
internal static class RedisStorageScripts
{
    private const string Common = """
        -- a > b for two 19-digit tick strings, compared in halves: Lua numbers are doubles and ticks need 62 bits.
        local function later(a, b)
          local ah, bh = tonumber(string.sub(a, 1, 10)), tonumber(string.sub(b, 1, 10))
          if ah ~= bh then return ah > bh end
          return tonumber(string.sub(a, 11)) > tonumber(string.sub(b, 11))
        end

        -- ttl: milliseconds, or '' for never.
        local function expire(key, ttl)
          if ttl == '' then redis.call('PERSIST', key) else redis.call('PEXPIRE', key, ttl) end
        end

        -- Lists a member in a partition set, whose own expiry never comes before any member's (PTTL: -2 absent, -1 never).
        local function join(set, member, ttl)
          local current = redis.call('PTTL', set)
          redis.call('SADD', set, member)
          if ttl == '' then
            if current ~= -1 then redis.call('PERSIST', set) end
          elseif current == -2 or (current >= 0 and current < tonumber(ttl)) then
            redis.call('PEXPIRE', set, ttl)
          end
        end

        """;

    // KEYS: entry[, partition set]. ARGV: now, value, expires, ttl, prefix, member[, partition].
    private const string Put = """
        local function put()
          local old = redis.call('HGET', KEYS[1], 'p')
          if old and (#KEYS == 1 or old ~= ARGV[7]) then redis.call('SREM', ARGV[5] .. 'p:' .. old, ARGV[6]) end
          redis.call('DEL', KEYS[1])
          if #KEYS == 1 then
            redis.call('HSET', KEYS[1], 'v', ARGV[2], 'x', ARGV[3])
          else
            redis.call('HSET', KEYS[1], 'v', ARGV[2], 'x', ARGV[3], 'p', ARGV[7])
            join(KEYS[2], ARGV[6], ARGV[4])
          end
          expire(KEYS[1], ARGV[4])
        end

        """;

    /// <summary>Adds or overwrites, untaken, moving the entry out of its old partition. Returns 1.</summary>
    public const string Set = Common + Put + """
        put()
        return 1
        """;

    /// <summary>Adds when there is no live entry (an expired one is overwritten). Returns 1 when added, else 0.</summary>
    public const string Add = Common + Put + """
        local x = redis.call('HGET', KEYS[1], 'x')
        if x and later(x, ARGV[1]) then return 0 end
        put()
        return 1
        """;

    /// <summary>
    /// KEYS: entry. ARGV: now, expected, value, expires, ttl, prefix, member. Swaps value and expiry when the live value is
    /// byte for byte the expected one (Lua strings compare bytes); taken mark and partition stay. Returns 1 or 0.
    /// </summary>
    public const string Replace = Common + """
        local e = redis.call('HMGET', KEYS[1], 'v', 'x', 'p')
        if not e[1] or not e[2] or not later(e[2], ARGV[1]) or e[1] ~= ARGV[2] then return 0 end
        redis.call('HSET', KEYS[1], 'v', ARGV[3], 'x', ARGV[4])
        expire(KEYS[1], ARGV[5])
        if e[3] then join(ARGV[6] .. 'p:' .. e[3], ARGV[7], ARGV[5]) end
        return 1
        """;

    /// <summary>
    /// KEYS: entry. ARGV: now, remainder, keep until, ttl, taken at, prefix, member. Returns {0} (not found),
    /// {1, value, expires, taken at} (taken now) or {2, remainder, expires, taken at} (taken before).
    /// </summary>
    public const string Take = Common + """
        local e = redis.call('HMGET', KEYS[1], 'v', 'x', 't', 'p')
        if not e[1] or not e[2] or not later(e[2], ARGV[1]) then return {0} end
        if e[3] then return {2, e[1], e[2], e[3]} end
        redis.call('HSET', KEYS[1], 'v', ARGV[2], 'x', ARGV[3], 't', ARGV[5])
        expire(KEYS[1], ARGV[4])
        if e[4] then join(ARGV[6] .. 'p:' .. e[4], ARGV[7], ARGV[4]) end
        return {1, e[1], e[2], ARGV[5]}
        """;

    /// <summary>KEYS: entry. ARGV: now, prefix, member. Deletes the entry and its membership; 1 when it was live.</summary>
    public const string Remove = Common + """
        local e = redis.call('HMGET', KEYS[1], 'x', 'p')
        if not e[1] then return 0 end
        redis.call('DEL', KEYS[1])
        if e[2] then redis.call('SREM', ARGV[2] .. 'p:' .. e[2], ARGV[3]) end
        if later(e[1], ARGV[1]) then return 1 end
        return 0
        """;

    /// <summary>
    /// KEYS: partition set. ARGV: now, prefix, partition. The live members as a flat list of key, value, expires, taken at
    /// ('' when untaken); members whose entry is gone (Redis expired it) or moved are dropped from the set.
    /// </summary>
    public const string List = Common + """
        local out = {}
        for _, m in ipairs(redis.call('SMEMBERS', KEYS[1])) do
          local e = redis.call('HMGET', ARGV[2] .. 'e:' .. m, 'v', 'x', 't', 'p')
          if not e[1] or not e[2] or e[4] ~= ARGV[3] then
            redis.call('SREM', KEYS[1], m)
          elseif later(e[2], ARGV[1]) then
            out[#out + 1] = m
            out[#out + 1] = e[1]
            out[#out + 1] = e[2]
            out[#out + 1] = e[3] or ''
          end
        end
        return out
        """;
}

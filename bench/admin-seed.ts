// Seeds the admin benchmark's database: 100 tenants with members and API keys, and 1,000,000 usage
// events over the last ~100 days, skewed like real workspaces (one large tenant, a long tail). One
// INSERT … SELECT generate_series per tenant, so the rollup trigger runs as it does for any writer.
import type postgres from "postgres";

export interface SeededTenant {
  id: string;
  ownerId: string;
  memberId: string;
  events: number;
}

export interface SeedOptions {
  tenants: number;
  events: number;
  days: number;
  membersPerTenant: number;
}

/** Zipf-like shares: tenant 0 gets about a fifth of all events, the last a few hundred. */
function shares(tenants: number, total: number): number[] {
  const weights = Array.from({ length: tenants }, (_, i) => 1 / (i + 1) ** 0.9);
  const sum = weights.reduce((a, b) => a + b, 0);
  const counts = weights.map((w) => Math.floor((w / sum) * total));
  counts[0]! += total - counts.reduce((a, b) => a + b, 0);
  return counts;
}

export async function seedTenants(sql: postgres.Sql, options: SeedOptions): Promise<SeededTenant[]> {
  const counts = shares(options.tenants, options.events);
  const seeded: SeededTenant[] = [];
  for (let t = 0; t < options.tenants; t++) {
    const [tenant] = await sql<{ id: string }[]>`
      insert into tenants (name, slug, plan, created_at) values (${`Bench ${t}`}, ${`bench-${t}`}, 'enterprise', now() - make_interval(days => ${options.days + 30}))
      returning id`;
    const tenantId = tenant!.id;
    const members = options.membersPerTenant + (t === 0 ? 150 : 0);
    const users = await sql<{ id: string }[]>`
      insert into users (email, name, password_hash)
      select 'bench-' || ${t} || '-' || g || '@example.test', 'Member ' || g, 'not-a-hash' from generate_series(1, ${members}) g
      returning id`;
    await sql`insert into memberships (tenant_id, user_id, role)
              select ${tenantId}, u.id, case when u.id = ${users[0]!.id}::uuid then 'owner'::member_role else 'member'::member_role end
              from unnest(${sql.array(users.map((u) => u.id))}::uuid[]) as u(id)`;
    await sql`insert into api_keys (tenant_id, name, prefix, key_hash, created_by)
              select ${tenantId}, 'Key ' || g, 'keel_bench' || g, md5(${tenantId}::text || g), ${users[0]!.id} from generate_series(1, 3) g`;
    await sql`insert into audit_log (tenant_id, actor_user_id, action, target_type, target_id, metadata, created_at)
              select ${tenantId}, ${users[0]!.id}, (array['ai_settings.changed', 'api_key.created', 'member.role_changed', 'invitation.created'])[1 + g % 4],
                     'tenant', ${tenantId}, jsonb_build_object('setting', 'softLimitPercent', 'before', 80, 'after', 70),
                     now() - make_interval(secs => g * 61)
              from generate_series(1, ${t === 0 ? 20_000 : 200}) g`;
    seeded.push({ id: tenantId, ownerId: users[0]!.id, memberId: users[1]!.id, events: counts[t]! });
  }
  return seeded;
}

/**
 * The tenant's events, spread uniformly over the last `days` days: six models with their prices,
 * five features, members (and background jobs), API keys on the `api` feature, ~15% cache hits,
 * ~2% errors, latencies from 50 ms to about a minute.
 */
export async function seedEvents(sql: postgres.Sql, tenantId: string, count: number, days: number, requestPrefix = "bench-"): Promise<void> {
  await sql`
    with members as (select array_agg(user_id order by user_id) as ids from memberships where tenant_id = ${tenantId}),
         keys as (select array_agg(id order by id) as ids from api_keys where tenant_id = ${tenantId}),
         raw as (
           select g, random() as r1, random() as r2, random() as r3, (g % 6) as m, (g * 7 % 5) as f,
                  now() - make_interval(secs => floor(random() * ${days} * 86400)::int) as at
           from generate_series(1, ${count}) g)
    insert into usage_events (tenant_id, request_id, user_id, api_key_id, feature, role, provider, model, input_tokens, output_tokens,
                              cost_micro_usd, saved_micro_usd, latency_ms, time_to_first_token_ms, cache_status, fallback_count, attempts,
                              status, error_code, validation, created_at)
    select ${tenantId}, ${requestPrefix} || raw.g, 
           case when raw.r3 < 0.1 then null else members.ids[1 + (raw.g * 13 % array_length(members.ids, 1))] end,
           case when raw.f = 3 then keys.ids[1 + raw.g % 3] end,
           (array['chat', 'analysis', 'embedding', 'api', 'title'])[1 + raw.f],
           (array['chat', 'analysis', 'embedding', 'chat', 'title'])[1 + raw.f],
           case when raw.r1 < 0.15 then 'cache' else (array['openai', 'openai', 'google', 'google', 'compatible', 'offline'])[1 + raw.m] end,
           (array['gpt-4o-mini', 'gpt-4o', 'gemini-2.0-flash', 'gemini-2.5-pro', 'llama-3.1-70b', 'keel-offline-extractive'])[1 + raw.m],
           case when raw.r1 < 0.15 then 0 else 200 + floor(raw.r2 * 4000)::int end,
           case when raw.r1 < 0.15 or raw.f = 2 then 0 else 20 + floor(raw.r3 * 800)::int end,
           case when raw.r1 < 0.15 then 0 else floor((200 + raw.r2 * 4000) * (array[0.15, 2.5, 0.1, 1.25, 0.9, 0])[1 + raw.m]
                                                     + (20 + raw.r3 * 800) * (array[0.6, 10, 0.4, 10, 0.9, 0])[1 + raw.m])::bigint end,
           case when raw.r1 < 0.15 then floor(raw.r2 * 5000)::bigint else 0 end,
           floor(50 + raw.r2 * raw.r3 * 60000)::int,
           case when raw.f = 0 then floor(20 + raw.r2 * 1500)::int end,
           case when raw.r1 < 0.10 then 'exact'::cache_status when raw.r1 < 0.15 then 'semantic'::cache_status else 'miss'::cache_status end,
           case when raw.r2 > 0.97 then 1 else 0 end, 1 + (raw.r2 > 0.95)::int,
           case when raw.r2 > 0.98 then 'error'::call_status else 'ok'::call_status end,
           case when raw.r2 > 0.98 then 'providers_unavailable' end,
           case when raw.f = 1 then (array['pass', 'pass', 'pass', 'repaired', 'failed'])[1 + raw.g % 5]::validation_outcome end,
           raw.at
    from raw, members, keys`;
}

/**
 * The observability page's other sources: background jobs (one per 50 events: mostly succeeded,
 * some failed or cancelled, the last minutes' still queued or running) and chat answers (one per 5
 * events, in one conversation per member: some stopped or failed, some thumbed down or corrected),
 * spread over the same days as the events.
 */
export async function seedJobsAndAnswers(sql: postgres.Sql, tenantId: string, events: number, days: number): Promise<void> {
  await sql`
    with raw as (select g, random() as r1, random() as r2, now() - make_interval(secs => floor(random() * ${days} * 86400)::int) as at
                 from generate_series(1, ${Math.max(20, Math.floor(events / 50))}) g)
    insert into jobs (tenant_id, kind, status, stage, created_at, started_at, finished_at, updated_at)
    select ${tenantId}, 'analyze-document',
           case when raw.at > now() - interval '10 minutes' then (case when raw.r1 < 0.5 then 'queued' else 'running' end)::job_status
                when raw.r1 < 0.05 then 'failed'::job_status when raw.r1 < 0.06 then 'cancelled'::job_status else 'succeeded'::job_status end,
           'done', raw.at,
           case when raw.at > now() - interval '10 minutes' and raw.r1 < 0.5 then null else raw.at + make_interval(secs => raw.r2 * 5) end,
           case when raw.at > now() - interval '10 minutes' then null else raw.at + make_interval(secs => 5 + raw.r2 * 120) end,
           raw.at
    from raw`;
  await sql`insert into conversations (tenant_id, user_id, title, created_at)
            select ${tenantId}, m.user_id, 'Bench conversation', now() - make_interval(days => ${days}) from memberships m where m.tenant_id = ${tenantId}`;
  await sql`
    with convs as (select array_agg(id order by id) as ids, array_agg(user_id order by id) as users from conversations where tenant_id = ${tenantId}),
         raw as (select g, random() as r1, now() - make_interval(secs => floor(random() * ${days} * 86400)::int) as at
                 from generate_series(1, ${Math.max(10, Math.floor(events / 5))}) g)
    insert into chat_messages (tenant_id, conversation_id, user_id, role, content, status, rating, correction, created_at, updated_at)
    select ${tenantId}, convs.ids[1 + raw.g % array_length(convs.ids, 1)], convs.users[1 + raw.g % array_length(convs.ids, 1)], 'assistant',
           'A bench answer.',
           case when raw.r1 < 0.03 then 'stopped'::chat_message_status when raw.r1 < 0.06 then 'failed'::chat_message_status else 'complete'::chat_message_status end,
           case when raw.r1 > 0.95 then -1 when raw.r1 > 0.80 then 1 end,
           case when raw.r1 > 0.99 then 'A corrected answer.' end,
           raw.at, raw.at
    from raw, convs`;
}

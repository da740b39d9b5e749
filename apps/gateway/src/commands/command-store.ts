import type { Redis } from 'ioredis';
import type { Command, CommandOutcome } from '@devicegate/core';
import { TtlCache } from '@devicegate/listing';

export const COMMAND_STORE = Symbol('COMMAND_STORE');

/** How long a sent command can be read back. */
export const COMMAND_RETENTION_MS = 7 * 24 * 3_600_000;

/**
 * The commands sent through devicegate and what vendors later reported of them, kept by the gateway (not by
 * providers) so that any instance answers `getDeviceCommand`. A command and its outcome are kept apart: a
 * vendor may report the outcome (on another instance) before the send's own answer is recorded, and
 * neither write may undo the other.
 */
export interface CommandStore {
  /** The command with its latest outcome, or undefined when it was never recorded (or has expired). */
  get(id: string): Promise<Command | undefined>;
  /** Records a command as its send (or the vendor) answered it. */
  record(command: Command): Promise<void>;
  /** Records what a vendor reported of a command. */
  settle(outcome: CommandOutcome): Promise<void>;
}

/** A command with the outcome a vendor reported since, if any. */
export function withOutcome(command: Command, outcome: CommandOutcome | undefined): Command {
  return outcome ? { ...command, status: outcome.status, updated_at: outcome.at, result: outcome.result } : command;
}

export class MemoryCommandStore implements CommandStore {
  private readonly commands: TtlCache<Command>;
  private readonly outcomes: TtlCache<CommandOutcome>;

  constructor(maxEntries = 50_000, now: () => number = Date.now) {
    this.commands = new TtlCache<Command>(maxEntries, COMMAND_RETENTION_MS, now);
    this.outcomes = new TtlCache<CommandOutcome>(maxEntries, COMMAND_RETENTION_MS, now);
  }

  async get(id: string): Promise<Command | undefined> {
    const command = this.commands.get(id);
    return command && withOutcome(command, this.outcomes.get(id));
  }

  async record(command: Command): Promise<void> {
    this.commands.set(command.id, command);
  }

  async settle(outcome: CommandOutcome): Promise<void> {
    this.outcomes.set(outcome.id, outcome);
  }
}

/** Commands shared by every instance: `dg:commands:<id>` and `dg:commands:<id>:outcome`, JSON, expiring with the retention. */
export class RedisCommandStore implements CommandStore {
  constructor(
    private readonly redis: Redis,
    private readonly prefix = 'dg:commands:',
  ) {}

  async get(id: string): Promise<Command | undefined> {
    const [command, outcome] = await this.redis.mget(this.prefix + id, `${this.prefix}${id}:outcome`);
    if (!command) return undefined;
    return withOutcome(JSON.parse(command) as Command, outcome ? (JSON.parse(outcome) as CommandOutcome) : undefined);
  }

  async record(command: Command): Promise<void> {
    await this.redis.set(this.prefix + command.id, JSON.stringify(command), 'PX', COMMAND_RETENTION_MS);
  }

  async settle(outcome: CommandOutcome): Promise<void> {
    await this.redis.set(`${this.prefix}${outcome.id}:outcome`, JSON.stringify(outcome), 'PX', COMMAND_RETENTION_MS);
  }
}

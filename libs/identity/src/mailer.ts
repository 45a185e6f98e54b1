/**
 * Outgoing mail through nodemailer: SMTP when SMTP_URL is set, otherwise a development outbox where each mail is a
 * JSON file (mode 0600) in MAIL_OUTBOX_DIR — the local fleet and the tests read reset links from there. Mail
 * bodies (which carry reset tokens) are never logged.
 */
import { SightlineError } from '@sightline/contracts';
import { type Logger } from '@sightline/observability';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import nodemailer, { type Transporter } from 'nodemailer';
import { type IdentityConfig } from './config.js';
import { IdentityErrorCode } from './errors.js';
import { IdentityLogCode } from './errors.js';

export interface OutgoingMail {
  to: string;
  subject: string;
  text: string;
}

/** One delivered mail as the outbox stores it (nodemailer's JSON transport format, trimmed to what readers need). */
export interface OutboxMail {
  messageId: string;
  to: string[];
  subject: string;
  text: string;
}

export class Mailer {
  private constructor(
    private readonly deliver: (mail: OutgoingMail) => Promise<void>,
    readonly transport: 'smtp' | 'outbox',
  ) {}

  static create(config: IdentityConfig, logger: Logger): Mailer {
    const from = config.MAIL_FROM;
    if (config.SMTP_URL) {
      const smtp: Transporter = nodemailer.createTransport(config.SMTP_URL);
      return new Mailer(async (mail) => {
        await smtp.sendMail({ from, ...mail });
      }, 'smtp');
    }
    logger.warn('SMTP_URL not set: mails are written to the outbox directory (development only)', {
      code: IdentityLogCode.mailOutbox,
      dir: config.MAIL_OUTBOX_DIR,
    });
    const json = nodemailer.createTransport({ jsonTransport: true });
    return new Mailer(async (mail) => {
      const info = await json.sendMail({ from, ...mail });
      const rendered = JSON.parse(info.message) as { messageId: string; to: { address: string }[]; subject: string; text: string };
      const stored: OutboxMail = {
        messageId: rendered.messageId,
        to: rendered.to.map((a) => a.address),
        subject: rendered.subject,
        text: rendered.text,
      };
      await mkdir(config.MAIL_OUTBOX_DIR, { recursive: true, mode: 0o700 });
      const file = join(config.MAIL_OUTBOX_DIR, `${Date.now()}-${rendered.messageId.replace(/[^A-Za-z0-9.@-]/g, '')}.json`);
      await writeFile(file, JSON.stringify(stored, null, 2), { mode: 0o600 });
    }, 'outbox');
  }

  async send(mail: OutgoingMail): Promise<void> {
    try {
      await this.deliver(mail);
    } catch (err) {
      throw new SightlineError(
        IdentityErrorCode.mailFailed,
        `mail delivery failed: ${(err as Error).message}`,
        { transport: this.transport },
        { cause: err },
      );
    }
  }
}

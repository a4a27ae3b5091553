/**
 * Email over SMTP (nodemailer): one message per notification, the title as subject, the details
 * as plain text. TLS: "implicit" (SMTPS, usually port 465), "starttls" (upgrade required,
 * usually 587: a server that does not offer it is an error, never a silent plain-text send), or
 * "none" (plain text, only for a relay on a trusted network or loopback).
 */
import { createTransport, type Transporter } from 'nodemailer';
import type { AlertNotification } from '../alert-types.ts';
import { notificationText, notificationTitle, type AlertSink } from './alert-sink.ts';

export interface EmailSinkOptions {
  host: string;
  port: number;
  tls: 'implicit' | 'starttls' | 'none';
  user?: string;
  password?: string;
  from: string;
  to: string[];
  timeoutMs: number;
}

export class EmailSink implements AlertSink {
  readonly name: string;
  private readonly transport: Transporter;

  constructor(private readonly options: EmailSinkOptions) {
    this.name = `email ${options.host}:${options.port}`;
    this.transport = createTransport({
      host: options.host,
      port: options.port,
      secure: options.tls === 'implicit',
      requireTLS: options.tls === 'starttls',
      ignoreTLS: options.tls === 'none',
      auth: options.user !== undefined ? { user: options.user, pass: options.password ?? '' } : undefined,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
    });
  }

  async deliver(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    // nodemailer takes no AbortSignal; its socket timeouts bound a hung server instead.
    await this.transport.sendMail({
      from: this.options.from,
      to: this.options.to,
      subject: notificationTitle(notification),
      text: notificationText(notification),
    });
  }

  close(): void {
    this.transport.close();
  }
}

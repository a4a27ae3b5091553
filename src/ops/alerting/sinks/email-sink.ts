/**
 * Email over SMTP (nodemailer): one message per notification, the title as subject, the details
 * as plain text. TLS: "implicit" (SMTPS, usually port 465), "starttls" (upgrade required,
 * usually 587: a server that does not offer it is an error, never a silent plain-text send), or
 * "none" (plain text, only for a relay on a trusted network or loopback).
 *
 * nodemailer is loaded on the first delivery, so a node without mail alerts does not pay for
 * loading it at every start.
 */
import type { Transporter } from 'nodemailer';
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
  private transport: Transporter | undefined;

  constructor(private readonly options: EmailSinkOptions) {
    this.name = `email ${options.host}:${options.port}`;
  }

  private async connect(): Promise<Transporter> {
    const { createTransport } = await import('nodemailer');
    const options = this.options;
    this.transport ??= createTransport({
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
    return this.transport;
  }

  async deliver(notification: AlertNotification, signal: AbortSignal): Promise<void> {
    signal.throwIfAborted();
    const transport = await this.connect();
    // nodemailer takes no AbortSignal; its socket timeouts bound a hung server instead.
    await transport.sendMail({
      from: this.options.from,
      to: this.options.to,
      subject: notificationTitle(notification),
      text: notificationText(notification),
    });
  }

  close(): void {
    this.transport?.close();
  }
}

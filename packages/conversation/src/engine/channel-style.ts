import type { ChannelStyle, ConversationChannel } from '../scenario.js';

/** Removes markdown (headings, emphasis, code, links, list markers, tables) and keeps the words. */
export function stripMarkdown(text: string): string {
  return text
    .replace(/```[\s\S]*?```/g, (block) => block.replace(/```\w*/g, ''))
    .replace(/`([^`]*)`/g, '$1')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/^\s{0,3}#{1,6}\s+/gm, '')
    .replace(/^\s*>\s?/gm, '')
    .replace(/^\s*(?:[-*+•]|\d+[.)])\s+/gm, '')
    .replace(/^\s*\|?(?:\s*:?-{3,}:?\s*\|)+\s*$/gm, '')
    .replace(/\|/g, ' ')
    .replace(/(\*\*|__)(.+?)\1/g, '$2')
    .replace(/(^|[^\w*])[*_](\S(?:.*?\S)?)[*_](?!\w)/g, '$1$2')
    .replace(/[*_~]{2,}/g, '')
    .replace(/[ \t]+/g, ' ');
}

/** Splits text into sentences (keeping their punctuation). */
export function sentences(text: string): string[] {
  return text
    .replace(/\s+/g, ' ')
    .split(/(?<=[.!?])\s+/)
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

/**
 * Styles a reply for a channel: voice gets plain short sentences (markdown stripped, lines joined, long
 * clauses split at dashes and semicolons) to be read aloud; WhatsApp gets plain text in short paragraphs
 * of at most two sentences (markdown stripped unless the style allows it); web chat is left as is.
 */
export function styleReply(text: string, channel: ConversationChannel, style?: ChannelStyle): string {
  if (channel === 'webchat' && (style?.markdown ?? true)) return text.trim();
  const plain = style?.markdown && channel !== 'voice' ? text : stripMarkdown(text);
  if (channel === 'voice') {
    const spoken = plain
      .split(/\n+/)
      .map((line) => line.trim())
      .filter((line) => line !== '')
      .map((line) => (/[.!?:]$/.test(line) ? line : `${line}.`))
      .join(' ')
      .replace(/\s+[—–]\s+|;\s+/g, '. ');
    return sentences(spoken)
      .map((s) => s.charAt(0).toUpperCase() + s.slice(1))
      .join(' ');
  }
  const paragraphs: string[] = [];
  for (const block of plain.split(/\n\s*\n/)) {
    const lines = sentences(block.replace(/\n/g, ' '));
    for (let i = 0; i < lines.length; i += 2) paragraphs.push(lines.slice(i, i + 2).join(' '));
  }
  return paragraphs.join('\n\n');
}

import { describe, expect, it } from 'vitest';
import { escapeHtml, jsonForScript, markup, raw } from '../../src/cashier/html.js';
import { isMobileUserAgent, pickLang } from '../../src/cashier/i18n.js';

describe('markup template', () => {
  it('escapes every interpolated value', () => {
    const evil = `<script>alert("x")</script>&'\``;
    expect(markup`<p title="${evil}">${evil}</p>`.value).toBe(
      '<p title="&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;">' +
        '&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#39;&#96;</p>',
    );
  });

  it('keeps nested templates and raw markup, joins arrays, drops null/false', () => {
    const items = ['a<', 'b'].map((x) => markup`<li>${x}</li>`);
    expect(markup`<ul>${items}</ul>${null}${false}${undefined}${raw('<br>')}${0}`.value).toBe(
      '<ul><li>a&lt;</li><li>b</li></ul><br>0',
    );
    expect(escapeHtml('plain 中文')).toBe('plain 中文');
  });

  it('embeds JSON that cannot close its script element', () => {
    const out = jsonForScript({ t: '</script><!-- \u2028 &' }).value;
    expect(out).not.toMatch(/<|>|&|\u2028/);
    expect(JSON.parse(out)).toEqual({ t: '</script><!-- \u2028 &' });
  });
});

describe('language and device', () => {
  it('defaults to Chinese and follows Accept-Language or an explicit lang', () => {
    expect(pickLang(undefined, undefined)).toBe('zh');
    expect(pickLang(undefined, 'en-US,en;q=0.9')).toBe('en');
    expect(pickLang(undefined, 'zh-CN,zh;q=0.9,en;q=0.8')).toBe('zh');
    expect(pickLang(undefined, 'fr-FR,en;q=0.5,zh;q=0.4')).toBe('en');
    expect(pickLang(undefined, 'fr-FR')).toBe('zh');
    expect(pickLang('en', 'zh-CN')).toBe('en');
    expect(pickLang('zh', 'en')).toBe('zh');
  });

  it('recognises phones', () => {
    expect(
      isMobileUserAgent(
        'Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148',
      ),
    ).toBe(true);
    expect(isMobileUserAgent('Mozilla/5.0 (Linux; Android 14; Pixel 8) Chrome/124 Mobile Safari')).toBe(true);
    expect(isMobileUserAgent('Mozilla/5.0 (Windows NT 10.0; Win64; x64) Chrome/124 Safari/537.36')).toBe(
      false,
    );
  });
});

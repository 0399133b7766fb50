import { Segmented } from 'antd';
import { type Lang, setLang, useLang, useT } from '../i18n';

/** 中文 / English, each written in its own language so anyone finds theirs. */
export function LanguageSwitch(props: { size?: 'small' | 'middle' }) {
  const lang = useLang();
  const t = useT();
  return (
    <Segmented<Lang>
      aria-label={t('header.language')}
      size={props.size ?? 'middle'}
      value={lang}
      onChange={setLang}
      options={[
        { label: '中文', value: 'zh-CN' },
        { label: 'English', value: 'en' },
      ]}
    />
  );
}

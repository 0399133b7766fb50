import { CheckCircleFilled, CloseCircleFilled } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  App as AntApp,
  Button,
  Card,
  Checkbox,
  Descriptions,
  Flex,
  Form,
  Grid,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Radio,
  Result,
  Select,
  Space,
  Tag,
  Typography,
} from 'antd';
import { type ReactNode, useRef, useState } from 'react';
import { Link, useSearchParams } from 'react-router';
import {
  ApiError,
  checkSignature,
  errorMessage,
  getSettings,
  getSignatureHelp,
  type MerchantScope,
  type MerchantSettings,
  reauthenticate,
  regeneratePayToken,
  revealSecret,
  rotateSecret,
  saveSettings,
  type SecretAnswer,
  sendTestNotification,
  type SettingsInput,
  type SignComparison,
  type TestNotificationResult,
  type UrlWarning,
} from '../api';
import { Page } from '../components/Page';
import { QueryView } from '../components/PageState';
import { type MessageKey, useT } from '../i18n';
import { parseCents } from '../money';
import { useSession } from '../session';
import { formatTime } from '../time';

type T = ReturnType<typeof useT>;
/** Label beside the value on wider screens, above it on a phone (long hex strings need the width). */
function useDescriptionsLayout(): 'horizontal' | 'vertical' {
  return Grid.useBreakpoint().sm ? 'horizontal' : 'vertical';
}

const mono = {
  fontFamily: 'ui-monospace, SFMono-Regular, Menlo, Consolas, monospace',
  wordBreak: 'break-all',
} as const;

/**
 * 账户配置: the merchant's callback URLs (with warnings about URLs that will not work), a test
 * notification, the signature helper, appkey / appsecret with reveal and rotation, order and
 * payment settings, and the quick collection link. An operator opens it for one merchant
 * (`?merchant_id=`). Rules are the server's; this page shows and sends.
 */
export default function Settings() {
  const t = useT();
  const session = useSession();
  const [params] = useSearchParams();
  const operator = session.data?.user.role === 'operator';
  const wanted = Number(params.get('merchant_id'));
  const scope: MerchantScope = Number.isInteger(wanted) && wanted > 0 ? { merchant_id: wanted } : {};
  const needsPick = operator && scope.merchant_id === undefined;
  const query = useQuery({
    queryKey: ['settings', scope.merchant_id ?? 'own'],
    queryFn: () => getSettings(scope),
    enabled: !needsPick,
  });

  if (needsPick) {
    return (
      <Page titleKey="nav.settings">
        <Result
          status="info"
          title={t('settings.pickMerchant')}
          subTitle={t('settings.pickMerchantHint')}
          extra={
            <Link to="/merchants">
              <Button type="primary">{t('settings.openMerchants')}</Button>
            </Link>
          }
        />
      </Page>
    );
  }
  return (
    <Page titleKey="nav.settings" extra={query.data && <Tag>{query.data.name}</Tag>}>
      <QueryView query={query}>{(s) => <SettingsContent settings={s} scope={scope} />}</QueryView>
    </Page>
  );
}

function SettingsContent(props: { settings: MerchantSettings; scope: MerchantScope }) {
  const reauth = useReauth();
  return (
    <Flex vertical gap={16}>
      <CallbackCard {...props} />
      <SignatureCard scope={props.scope} />
      <KeysCard {...props} withReauth={reauth.run} />
      <QuickCard {...props} />
      {reauth.modal}
    </Flex>
  );
}

interface FormValues extends Omit<SettingsInput, 'timeout_url'> {
  timeout_url: string;
}

function isHttpUrl(text: string): boolean {
  try {
    const u = new URL(text);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.hostname !== '';
  } catch {
    return false;
  }
}

function warningText(t: T, w: UrlWarning): string {
  const where = w.address === null || w.address === w.host ? w.host : `${w.host} (${w.address})`;
  const category = w.category ? t(`settings.category.${w.category}` as MessageKey) : '';
  return t(`settings.warning.${w.code}` as MessageKey, { where, host: w.host, category });
}

/** The URLs and the order settings, one form with one Save; the test notification beside it. */
function CallbackCard({ settings, scope }: { settings: MerchantSettings; scope: MerchantScope }) {
  const t = useT();
  const qc = useQueryClient();
  const { message } = AntApp.useApp();
  const [form] = Form.useForm<FormValues>();
  const [testResult, setTestResult] = useState<TestNotificationResult | null>(null);
  const save = useMutation({
    mutationFn: (v: FormValues) =>
      saveSettings(scope, { ...v, timeout_url: v.timeout_url.trim() === '' ? null : v.timeout_url.trim() }),
    onSuccess: (s) => {
      qc.setQueryData(['settings', scope.merchant_id ?? 'own'], s);
      void qc.invalidateQueries({ queryKey: ['checklist'] });
      void message.success(t('settings.saved'));
    },
  });
  const test = useMutation({
    mutationFn: () => sendTestNotification(scope),
    onMutate: () => setTestResult(null),
    onSuccess: setTestResult,
  });
  const notifyUrl = Form.useWatch('notify_url', form);
  const unsaved = notifyUrl !== undefined && notifyUrl.trim() !== settings.notify_url;
  const warningsOf = (field: UrlWarning['field']) => settings.warnings.filter((w) => w.field === field);

  const urlItem = (
    name: 'notify_url' | 'return_url' | 'timeout_url',
    label: MessageKey,
    required: boolean,
    extra?: string,
  ) => {
    const warnings = warningsOf(name);
    return (
      <Form.Item
        label={t(label)}
        name={name}
        // Warnings of the saved URL sit under the field; validation errors still show above them.
        extra={
          (extra || warnings.length > 0) && (
            <>
              {extra}
              {warnings.map((w) => (
                <Alert
                  key={w.code}
                  type="warning"
                  showIcon
                  title={warningText(t, w)}
                  style={{ marginTop: 4 }}
                />
              ))}
            </>
          )
        }
        rules={[
          { required, whitespace: true, message: t('settings.urlRequired') },
          {
            validator: (_r, v: string | undefined) =>
              !v || v.trim() === '' || isHttpUrl(v.trim())
                ? Promise.resolve()
                : Promise.reject(new Error(t('settings.urlInvalid'))),
          },
        ]}
      >
        <Input inputMode="url" autoComplete="off" placeholder="https://" />
      </Form.Item>
    );
  };

  return (
    <Card title={t('settings.callbacks')}>
      <Typography.Paragraph type="secondary">{t('settings.callbacksHint')}</Typography.Paragraph>
      <Form<FormValues>
        form={form}
        layout="vertical"
        initialValues={{ ...settings, timeout_url: settings.timeout_url ?? '' }}
        onFinish={(v) =>
          save.mutate({ ...v, notify_url: v.notify_url.trim(), return_url: v.return_url.trim() })
        }
        style={{ maxWidth: 720 }}
      >
        {urlItem('notify_url', 'settings.notifyUrl', true)}
        {urlItem('return_url', 'settings.returnUrl', true)}
        {urlItem('timeout_url', 'settings.timeoutUrl', false, t('settings.timeoutUrlHint'))}

        <Typography.Title level={5}>{t('settings.orders')}</Typography.Title>
        <Form.Item
          label={t('settings.orderTtl')}
          name="order_ttl"
          extra={t('settings.orderTtlHint')}
          rules={[{ required: true }]}
        >
          <InputNumber min={60} max={3600} step={60} precision={0} style={{ width: 160 }} />
        </Form.Item>
        <Form.Item
          label={t('settings.offsetDirection')}
          name="offset_direction"
          extra={t('settings.offsetDirectionHint')}
        >
          <Radio.Group
            options={[
              { value: 'down', label: t('settings.offset.down') },
              { value: 'up', label: t('settings.offset.up') },
            ]}
          />
        </Form.Item>
        <Form.Item
          label={t('settings.maxOffset')}
          name="max_offset"
          rules={[
            {
              validator: (_r, v: string) => {
                const cents = parseCents(String(v ?? ''));
                return cents !== null && cents <= 99
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('settings.maxOffsetInvalid')));
              },
            },
          ]}
        >
          <Input inputMode="decimal" style={{ width: 160 }} />
        </Form.Item>
        <Form.Item label={t('settings.rotation')} name="rotation">
          <Select
            style={{ maxWidth: 420 }}
            options={(['smart', 'even', 'random'] as const).map((r) => ({
              value: r,
              label: t(`settings.rotation.${r}`),
            }))}
          />
        </Form.Item>
        <Form.Item label={t('settings.notifyMethod')} name="notify_method">
          <Radio.Group options={['POST', 'GET']} />
        </Form.Item>
        <Form.Item label={t('settings.paymentTypes')}>
          <Space wrap>
            <Form.Item name="alipay_enabled" valuePropName="checked" noStyle>
              <Checkbox>{t('settings.alipay')}</Checkbox>
            </Form.Item>
            <Form.Item name="wechat_enabled" valuePropName="checked" noStyle>
              <Checkbox>{t('settings.wechat')}</Checkbox>
            </Form.Item>
          </Space>
        </Form.Item>

        {save.isError && (
          <Alert type="error" showIcon title={errorMessage(save.error)} style={{ marginBottom: 16 }} />
        )}
        <Space wrap>
          <Button type="primary" htmlType="submit" loading={save.isPending}>
            {t('settings.save')}
          </Button>
          <Button onClick={() => test.mutate()} loading={test.isPending}>
            {t('settings.test')}
          </Button>
        </Space>
        <Typography.Paragraph type="secondary" style={{ marginTop: 8, marginBottom: 0 }}>
          {unsaved ? t('settings.unsaved') : t('settings.testHint')}
        </Typography.Paragraph>
      </Form>
      {test.isError && (
        <Alert type="error" showIcon title={errorMessage(test.error)} style={{ marginTop: 16 }} />
      )}
      {testResult && <TestResultView result={testResult} />}
    </Card>
  );
}

function TestResultView({ result }: { result: TestNotificationResult }) {
  const t = useT();
  const layout = useDescriptionsLayout();
  return (
    <section aria-label={t('settings.testResult')} style={{ marginTop: 16 }}>
      <Alert
        type={result.success ? 'success' : 'error'}
        showIcon
        title={
          result.success ? t('settings.testSuccess') : t('settings.testFailed', { error: result.error ?? '' })
        }
        style={{ marginBottom: 12 }}
      />
      <Descriptions bordered size="small" column={1} layout={layout} styles={{ label: { width: 160 } }}>
        <Descriptions.Item label={t('settings.testStatus')}>
          {result.status ?? t('settings.testNoAnswer')}
        </Descriptions.Item>
        <Descriptions.Item label={t('settings.testDuration')}>{result.duration_ms} ms</Descriptions.Item>
        <Descriptions.Item label={t('settings.testCounted')}>
          {result.success ? (
            <Tag color="success" icon={<CheckCircleFilled />}>
              {t('settings.yes')}
            </Tag>
          ) : (
            <Tag color="error" icon={<CloseCircleFilled />}>
              {t('settings.no')}
            </Tag>
          )}
        </Descriptions.Item>
        <Descriptions.Item label={t('settings.testAnswer')}>
          <pre style={{ ...mono, margin: 0, whiteSpace: 'pre-wrap', maxHeight: 200, overflow: 'auto' }}>
            {result.answer}
          </pre>
        </Descriptions.Item>
        <Descriptions.Item label={t('settings.testSent')}>
          <div style={mono}>
            {result.method} {result.url}
            <br />
            {Object.entries(result.params)
              .map(([k, v]) => `${k}=${v}`)
              .join('&')}
          </div>
        </Descriptions.Item>
      </Descriptions>
    </section>
  );
}

/** How the newest notification's sign was made, and a check of the sign the shop computed. */
function SignatureCard({ scope }: { scope: MerchantScope }) {
  const t = useT();
  const layout = useDescriptionsLayout();
  const query = useQuery({
    queryKey: ['settings-signature', scope.merchant_id ?? 'own'],
    queryFn: () => getSignatureHelp(scope),
  });
  const [comparison, setComparison] = useState<{ c: SignComparison; pasted?: string } | null>(null);
  const check = useMutation({
    mutationFn: (v: { sign: string; string?: string }) => checkSignature(scope, v),
    onSuccess: (r, v) => setComparison(r.comparison ? { c: r.comparison, pasted: v.string } : null),
  });
  return (
    <Card title={t('settings.signature')}>
      <Typography.Paragraph type="secondary" style={mono}>
        {t('settings.signatureHint')}
      </Typography.Paragraph>
      <QueryView query={query} isEmpty={(d) => d.notification === null} empty={t('settings.signatureNone')}>
        {({ notification: n }) =>
          n && (
            <>
              <Descriptions size="small" column={{ xs: 1, md: 2 }} style={{ marginBottom: 12 }}>
                <Descriptions.Item label={t('settings.signatureOrder')}>
                  {n.order_id} · {n.out_order_id}
                </Descriptions.Item>
                <Descriptions.Item label={t('settings.signatureSentAt')}>
                  {formatTime(n.created_at)}
                </Descriptions.Item>
              </Descriptions>
              {n.signed_with !== 'current' && (
                <Alert
                  type="info"
                  showIcon
                  title={t(`settings.signatureSignedWith.${n.signed_with}`)}
                  style={{ marginBottom: 12 }}
                />
              )}
              <Typography.Text strong>{t('settings.signatureStep1')}</Typography.Text>
              <Descriptions bordered size="small" column={1} layout={layout} style={{ margin: '8px 0 12px' }}>
                {n.fields.map((f) => (
                  <Descriptions.Item key={f.name} label={f.name}>
                    <span style={mono}>{f.value === '' ? '""' : f.value}</span>
                  </Descriptions.Item>
                ))}
              </Descriptions>
              <Typography.Paragraph
                copyable={{ text: n.hashed_string }}
                style={mono}
                aria-label={t('settings.signatureStep1')}
              >
                <code>{n.hashed_string}</code>
              </Typography.Paragraph>
              <Typography.Text strong>{t('settings.signatureStep2')}</Typography.Text>
              <Typography.Paragraph copyable style={mono}>
                <code>{n.inner_md5}</code>
              </Typography.Paragraph>
              <Typography.Text strong>{t('settings.signatureStep3')}</Typography.Text>
              <Typography.Paragraph style={mono}>
                <code>md5({n.inner_md5} + appsecret)</code> ={' '}
                <Typography.Text code copyable>
                  {n.expected_sign}
                </Typography.Text>
              </Typography.Paragraph>
              <Form<{ sign: string; string?: string }>
                layout="vertical"
                style={{ maxWidth: 720 }}
                onFinish={(v) =>
                  check.mutate({ sign: v.sign.trim(), ...(v.string ? { string: v.string } : {}) })
                }
              >
                <Form.Item
                  label={t('settings.yourSign')}
                  name="sign"
                  rules={[{ required: true, whitespace: true }]}
                >
                  <Input style={mono} autoComplete="off" />
                </Form.Item>
                <Form.Item label={t('settings.yourString')} name="string">
                  <Input.TextArea autoSize={{ minRows: 1, maxRows: 4 }} style={mono} />
                </Form.Item>
                <Button htmlType="submit" loading={check.isPending}>
                  {t('settings.compare')}
                </Button>
              </Form>
              {check.isError && (
                <Alert type="error" showIcon title={errorMessage(check.error)} style={{ marginTop: 12 }} />
              )}
              {comparison && <ComparisonView {...comparison} expected={n.hashed_string} />}
            </>
          )
        }
      </QueryView>
    </Card>
  );
}

function ComparisonView({ c, pasted, expected }: { c: SignComparison; pasted?: string; expected: string }) {
  const t = useT();
  const lines: ReactNode[] = [];
  if (!c.sign_matches && c.hint) lines.push(t(`settings.hint.${c.hint}` as MessageKey));
  if (c.string_matches === true) lines.push(t('settings.stringMatches'));
  if (c.string_matches === false && c.first_difference !== null && pasted !== undefined) {
    const at = c.first_difference;
    lines.push(
      <span key="diff">
        {t('settings.stringDiffers', { position: at + 1 })}
        <br />
        <code style={mono}>
          {expected.slice(0, at)}
          <mark>{expected.slice(at, at + 12) || '∅'}</mark>
        </code>
        <br />
        <code style={mono}>
          {pasted.slice(0, at)}
          <mark>{pasted.slice(at, at + 12) || '∅'}</mark>
        </code>
      </span>,
    );
  }
  return (
    <Alert
      style={{ marginTop: 12 }}
      type={c.sign_matches ? 'success' : 'error'}
      showIcon
      title={c.sign_matches ? t('settings.signMatches') : t('settings.signDiffers')}
      description={
        lines.length > 0 && (
          <Flex vertical gap={4}>
            {lines.map((l, i) => (
              <div key={i}>{l}</div>
            ))}
          </Flex>
        )
      }
    />
  );
}

type WithReauth = <R>(action: () => Promise<R>) => Promise<R>;

/**
 * Runs a call that needs a fresh re-authentication: when the server answers `reauth_required`,
 * asks for the password, re-authenticates, and runs the call once more.
 */
function useReauth(): { run: WithReauth; modal: ReactNode } {
  const t = useT();
  const [open, setOpen] = useState(false);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const [form] = Form.useForm<{ password: string }>();
  const waiting = useRef<{ resolve: () => void; reject: (e: unknown) => void } | null>(null);

  const run: WithReauth = async (action) => {
    try {
      return await action();
    } catch (err) {
      if (!(err instanceof ApiError && err.error === 'reauth_required')) throw err;
      await new Promise<void>((resolve, reject) => {
        waiting.current = { resolve, reject };
        setError(null);
        form.resetFields();
        setOpen(true);
      });
      return action();
    }
  };
  const submit = async (v: { password: string }) => {
    setBusy(true);
    try {
      await reauthenticate(v.password);
      setOpen(false);
      waiting.current?.resolve();
    } catch (err) {
      setError(err);
    } finally {
      setBusy(false);
    }
  };
  const cancel = () => {
    setOpen(false);
    waiting.current?.reject(new ApiError(403, 'reauth_cancelled', ''));
  };
  const modal = (
    <Modal
      open={open}
      title={t('settings.reauthTitle')}
      onCancel={cancel}
      onOk={() => form.submit()}
      okText={t('settings.confirm')}
      cancelText={t('settings.cancel')}
      confirmLoading={busy}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('settings.reauthHint')}</Typography.Paragraph>
      {error !== null && (
        <Alert type="error" showIcon title={errorMessage(error)} style={{ marginBottom: 12 }} />
      )}
      <Form form={form} layout="vertical" onFinish={(v) => void submit(v)}>
        <Form.Item label={t('settings.password')} name="password" rules={[{ required: true }]}>
          <Input.Password autoComplete="current-password" autoFocus />
        </Form.Item>
      </Form>
    </Modal>
  );
  return { run, modal };
}

const GRACE_HOURS = [1, 6, 24, 72, 168];

function KeysCard(props: { settings: MerchantSettings; scope: MerchantScope; withReauth: WithReauth }) {
  const { settings, scope, withReauth } = props;
  const t = useT();
  const layout = useDescriptionsLayout();
  const qc = useQueryClient();
  const { message } = AntApp.useApp();
  const [secret, setSecret] = useState<SecretAnswer | null>(null);
  const [rotating, setRotating] = useState(false);
  const [grace, setGrace] = useState(24);
  const [error, setError] = useState<unknown>(null);
  const [busy, setBusy] = useState(false);
  const quiet = (err: unknown) => err instanceof ApiError && err.error === 'reauth_cancelled';

  const reveal = async () => {
    setError(null);
    setBusy(true);
    try {
      setSecret(await withReauth(() => revealSecret(scope)));
    } catch (err) {
      if (!quiet(err)) setError(err);
    } finally {
      setBusy(false);
    }
  };
  const rotate = async () => {
    setError(null);
    setBusy(true);
    try {
      const s = await withReauth(() => rotateSecret(scope, grace));
      setSecret(s);
      setRotating(false);
      void message.success(t('settings.rotated'));
      void qc.invalidateQueries({ queryKey: ['settings', scope.merchant_id ?? 'own'] });
    } catch (err) {
      if (!quiet(err)) setError(err);
    } finally {
      setBusy(false);
    }
  };
  const graceLabel = (h: number) =>
    h % 24 === 0 && h >= 48
      ? t('settings.graceDays', { days: h / 24 })
      : t('settings.graceHours', { hours: h });
  const until = secret?.previous_secret_until ?? settings.previous_secret_until;

  return (
    <Card title={t('settings.keys')}>
      {until !== null && (
        <Alert
          type="warning"
          showIcon
          title={t('settings.graceActive', { until: formatTime(until) })}
          style={{ marginBottom: 12 }}
        />
      )}
      {error !== null && (
        <Alert type="error" showIcon title={errorMessage(error)} style={{ marginBottom: 12 }} />
      )}
      <Descriptions bordered size="small" column={1} layout={layout} styles={{ label: { width: 120 } }}>
        <Descriptions.Item label={t('settings.appkey')}>
          <Typography.Text copyable style={mono}>
            {settings.appkey}
          </Typography.Text>
        </Descriptions.Item>
        <Descriptions.Item label={t('settings.appsecret')}>
          <Flex wrap gap={8} align="center">
            {secret ? (
              <Typography.Text copyable style={mono}>
                {secret.appsecret}
              </Typography.Text>
            ) : (
              <Typography.Text style={mono}>••••••••••••••••</Typography.Text>
            )}
            <Button
              size="small"
              loading={busy && !rotating}
              onClick={() => (secret ? setSecret(null) : void reveal())}
            >
              {secret ? t('settings.hide') : t('settings.reveal')}
            </Button>
            <Button size="small" danger onClick={() => setRotating(true)}>
              {t('settings.rotate')}
            </Button>
          </Flex>
        </Descriptions.Item>
      </Descriptions>
      <Modal
        open={rotating}
        title={t('settings.rotateTitle')}
        onCancel={() => setRotating(false)}
        onOk={() => void rotate()}
        okText={t('settings.rotate')}
        okButtonProps={{ danger: true }}
        cancelText={t('settings.cancel')}
        confirmLoading={busy}
      >
        <Typography.Paragraph>{t('settings.rotateHint')}</Typography.Paragraph>
        <Form layout="vertical">
          <Form.Item label={t('settings.grace')} htmlFor="rotation-grace">
            <Select
              id="rotation-grace"
              value={grace}
              onChange={setGrace}
              options={GRACE_HOURS.map((h) => ({ value: h, label: graceLabel(h) }))}
              style={{ width: 200 }}
            />
          </Form.Item>
        </Form>
      </Modal>
    </Card>
  );
}

function QuickCard({ settings, scope }: { settings: MerchantSettings; scope: MerchantScope }) {
  const t = useT();
  const layout = useDescriptionsLayout();
  const qc = useQueryClient();
  const regenerate = useMutation({
    mutationFn: () => regeneratePayToken(scope),
    onSuccess: (s) => qc.setQueryData(['settings', scope.merchant_id ?? 'own'], s),
  });
  return (
    <Card title={t('settings.quick')}>
      <Typography.Paragraph type="secondary">{t('settings.quickHint')}</Typography.Paragraph>
      <Descriptions bordered size="small" column={1} layout={layout} styles={{ label: { width: 120 } }}>
        <Descriptions.Item label={t('settings.quickLink')}>
          <Typography.Text copyable style={mono}>
            {settings.pay_link}
          </Typography.Text>{' '}
          <a href={settings.pay_link} target="_blank" rel="noreferrer">
            {t('settings.open')}
          </a>
        </Descriptions.Item>
        <Descriptions.Item label={t('settings.payToken')}>
          <Flex wrap gap={8} align="center">
            <Typography.Text style={mono}>{settings.pay_token}</Typography.Text>
            <Popconfirm
              title={t('settings.regenerateConfirm')}
              onConfirm={() => regenerate.mutate()}
              okText={t('settings.confirm')}
              cancelText={t('settings.cancel')}
            >
              <Button size="small" loading={regenerate.isPending}>
                {t('settings.regenerate')}
              </Button>
            </Popconfirm>
          </Flex>
        </Descriptions.Item>
      </Descriptions>
      {regenerate.isError && (
        <Alert type="error" showIcon title={errorMessage(regenerate.error)} style={{ marginTop: 12 }} />
      )}
    </Card>
  );
}

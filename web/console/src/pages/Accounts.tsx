import { InboxOutlined, PlusOutlined, QrcodeOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Badge,
  Button,
  Card,
  Flex,
  Form,
  Grid,
  Input,
  InputNumber,
  List,
  Modal,
  Radio,
  Space,
  Switch,
  Table,
  Tag,
  Typography,
  Upload,
} from 'antd';
import { useState } from 'react';
import { Link, useNavigate, useSearchParams } from 'react-router';
import {
  type Account,
  addAccount,
  ApiError,
  decodeQrImage,
  errorMessage,
  listAccounts,
  type MerchantScope,
  type PaymentType,
  updateAccount,
} from '../api';
import { Page } from '../components/Page';
import { EmptyState, QueryView } from '../components/PageState';
import { t, useT } from '../i18n';
import { formatYuan } from '../money';
import { useSession } from '../session';
import { formatTime, ZONE_LABEL } from '../time';

// ---- shared by the account, product and test payment pages ----

/**
 * Which merchant the page works on: a merchant user's own (the server knows it: nothing is sent),
 * or for an operator the `?merchant_id=` in the address (none: every merchant, where a page
 * allows that).
 */
export function useMerchantScope() {
  const session = useSession();
  const [params, setParams] = useSearchParams();
  const operator = session.data?.user.role === 'operator';
  const raw = Number(params.get('merchant_id'));
  const merchantId = operator && Number.isSafeInteger(raw) && raw > 0 ? raw : undefined;
  const scope: MerchantScope = merchantId === undefined ? {} : { merchant_id: merchantId };
  const setMerchantId = (id: number | null) => {
    const next = new URLSearchParams(params);
    if (id === null) next.delete('merchant_id');
    else next.set('merchant_id', String(id));
    setParams(next, { replace: true });
  };
  return { operator, merchantId, scope, setMerchantId };
}

/** An operator's choice of merchant (by id), kept in the address so links and reloads keep it. */
export function MerchantPicker(props: { required?: boolean }) {
  const t = useT();
  const { operator, merchantId, setMerchantId } = useMerchantScope();
  const [value, setValue] = useState<number | null>(merchantId ?? null);
  if (!operator) return null;
  return (
    <Space.Compact>
      <InputNumber<number>
        aria-label={t('acc.merchantId')}
        placeholder={t(props.required ? 'acc.merchantIdRequired' : 'acc.merchantIdAll')}
        min={1}
        precision={0}
        value={value}
        onChange={setValue}
        onPressEnter={() => setMerchantId(value)}
        style={{ width: 170 }}
      />
      <Button onClick={() => setMerchantId(value)}>{t('acc.showMerchant')}</Button>
    </Space.Compact>
  );
}

export function TypeTag(props: { type: PaymentType }) {
  const t = useT();
  return <Tag color={props.type === 'alipay' ? 'blue' : 'green'}>{t(`acc.type.${props.type}`)}</Tag>;
}

export function OnlineBadge(props: { account: Pick<Account, 'online' | 'enabled'> }) {
  const t = useT();
  const { online, enabled } = props.account;
  return (
    <Space size={4} wrap>
      <Badge status={online ? 'success' : 'default'} text={t(online ? 'acc.online' : 'acc.offline')} />
      {!enabled && <Tag>{t('acc.disabled')}</Tag>}
    </Space>
  );
}

/** "12 s ago", "5 min ago", … and the full China time on hover. */
export function Ago(props: { ms: number | null }) {
  const t = useT();
  if (props.ms === null) return <Typography.Text type="secondary">{t('acc.never')}</Typography.Text>;
  const s = Math.max(0, Math.round((Date.now() - props.ms) / 1000));
  const text =
    s < 60
      ? t('acc.agoSeconds', { n: s })
      : s < 3600
        ? t('acc.agoMinutes', { n: Math.floor(s / 60) })
        : s < 86400
          ? t('acc.agoHours', { n: Math.floor(s / 3600) })
          : formatTime(props.ms);
  return <span title={formatTime(props.ms)}>{text}</span>;
}

/** The account's rules in one line: "09:00-23:00 · 1.00–500.00 · cap 3000.00", or "none". */
export function RulesSummary(props: { account: Account }) {
  const t = useT();
  const a = props.account;
  const parts: string[] = [];
  if (a.window) parts.push(a.window);
  if (a.min || a.max) parts.push(`${a.min ?? '0.00'}–${a.max ?? '∞'}`);
  if (a.daily_cap) parts.push(t('acc.capShort', { cap: a.daily_cap }));
  return parts.length === 0 ? (
    <Typography.Text type="secondary">{t('acc.noRules')}</Typography.Text>
  ) : (
    <span>{parts.join(' · ')}</span>
  );
}

/**
 * `errorMessage`, except that a refusal the server explained (409: a category still holding
 * products, an order already paid) keeps the server's own sentence rather than a generic one.
 */
export function explainError(err: unknown): string {
  if (err instanceof ApiError && err.status === 409 && err.error === 'conflict' && err.message !== '') {
    return t('error.unknown', { message: err.message });
  }
  return errorMessage(err);
}

/** A chosen file as a `data:` URL: what the admin API takes for uploads. */
export function fileAsDataUrl(file: Blob): Promise<string> {
  return new Promise((resolve, reject) => {
    const reader = new FileReader();
    reader.onload = () => resolve(String(reader.result));
    reader.onerror = () => reject(reader.error ?? new Error('the file cannot be read'));
    reader.readAsDataURL(file);
  });
}

/**
 * Picks a receiving-code image and shows what the server read in it: the content and the code as
 * the cashier will draw it. `onDecoded` gets the image (data URL) and its content.
 */
export function QrUpload(props: { onDecoded: (image: string | null, content: string | null) => void }) {
  const t = useT();
  const [state, setState] = useState<
    | { kind: 'idle' }
    | { kind: 'reading' }
    | { kind: 'ok'; content: string; png: string }
    | { kind: 'error'; error: unknown }
  >({ kind: 'idle' });
  const pick = async (file: File) => {
    setState({ kind: 'reading' });
    props.onDecoded(null, null);
    try {
      const image = await fileAsDataUrl(file);
      const r = await decodeQrImage(image);
      setState({ kind: 'ok', content: r.content, png: r.qr_png });
      props.onDecoded(image, r.content);
    } catch (err) {
      setState({ kind: 'error', error: err });
    }
  };
  return (
    <Flex vertical gap={12}>
      <Upload.Dragger
        accept="image/png,image/jpeg"
        maxCount={1}
        showUploadList={false}
        beforeUpload={(file) => {
          void pick(file);
          return false;
        }}
      >
        <p className="ant-upload-drag-icon">
          <InboxOutlined aria-hidden />
        </p>
        <p className="ant-upload-text">{t('acc.qrUploadText')}</p>
        <p className="ant-upload-hint">{t('acc.qrUploadHint')}</p>
      </Upload.Dragger>
      {state.kind === 'reading' && <Typography.Text type="secondary">{t('acc.qrReading')}</Typography.Text>}
      {state.kind === 'error' && (
        <Alert type="error" showIcon title={t('acc.qrUnreadable')} description={explainError(state.error)} />
      )}
      {state.kind === 'ok' && (
        <Card size="small" title={t('acc.qrDecoded')}>
          <Flex gap={16} wrap align="center">
            <img
              src={state.png}
              alt={t('acc.qrPreviewAlt')}
              width={140}
              height={140}
              style={{ imageRendering: 'pixelated' }}
            />
            <Flex vertical gap={4} style={{ minWidth: 0, flex: 1 }}>
              <Typography.Text type="secondary">{t('acc.qrContent')}</Typography.Text>
              <Typography.Text code copyable style={{ wordBreak: 'break-all' }} data-testid="decoded-qr">
                {state.content}
              </Typography.Text>
            </Flex>
          </Flex>
        </Card>
      )}
    </Flex>
  );
}

// ---- the accounts page ----

interface AddForm {
  merchant_id?: number;
  type: PaymentType;
  name: string;
  qr_content?: string;
}

function AddAccountModal(props: { open: boolean; onClose: () => void }) {
  const t = useT();
  const qc = useQueryClient();
  const navigate = useNavigate();
  const { operator, merchantId } = useMerchantScope();
  const [form] = Form.useForm<AddForm>();
  const [image, setImage] = useState<string | null>(null);
  const [paste, setPaste] = useState(false);
  const mutation = useMutation({
    mutationFn: (v: AddForm) =>
      addAccount({
        ...(v.merchant_id === undefined ? {} : { merchant_id: v.merchant_id }),
        type: v.type,
        name: v.name.trim(),
        ...(paste ? { qr_content: (v.qr_content ?? '').trim() } : image ? { qr_image: image } : {}),
      }),
    onSuccess: (a) => {
      void qc.invalidateQueries({ queryKey: ['accounts'] });
      props.onClose();
      form.resetFields();
      setImage(null);
      void navigate(`/accounts/${a.id}${operator ? `?merchant_id=${a.merchant_id}` : ''}`);
    },
  });
  const missingImage = !paste && image === null;
  return (
    <Modal
      open={props.open}
      title={t('acc.addTitle')}
      onCancel={props.onClose}
      okText={t('acc.save')}
      cancelText={t('acc.cancel')}
      okButtonProps={{ loading: mutation.isPending, disabled: missingImage }}
      onOk={() => form.submit()}
      destroyOnHidden
    >
      <Form<AddForm>
        form={form}
        layout="vertical"
        initialValues={{ type: 'alipay', merchant_id: merchantId }}
        onFinish={(v) => mutation.mutate(v)}
      >
        {operator && (
          <Form.Item
            label={t('acc.merchantId')}
            name="merchant_id"
            rules={[{ required: true, message: t('acc.merchantIdRequired') }]}
          >
            <InputNumber<number> min={1} precision={0} style={{ width: '100%' }} />
          </Form.Item>
        )}
        <Form.Item label={t('acc.type')} name="type" rules={[{ required: true }]}>
          <Radio.Group optionType="button">
            <Radio.Button value="alipay">{t('acc.type.alipay')}</Radio.Button>
            <Radio.Button value="wechat">{t('acc.type.wechat')}</Radio.Button>
          </Radio.Group>
        </Form.Item>
        <Form.Item
          label={t('acc.name')}
          name="name"
          rules={[{ required: true, whitespace: true, max: 100, message: t('acc.nameRequired') }]}
          extra={t('acc.nameHint')}
        >
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item label={t('acc.qrImage')} required extra={paste ? undefined : t('acc.qrImageHint')}>
          {paste ? (
            <Form.Item
              name="qr_content"
              noStyle
              rules={[{ required: true, whitespace: true, message: t('acc.qrContentRequired') }]}
            >
              <Input.TextArea
                aria-label={t('acc.qrContent')}
                rows={3}
                placeholder="https://qr.alipay.com/…"
              />
            </Form.Item>
          ) : (
            <QrUpload onDecoded={(img) => setImage(img)} />
          )}
        </Form.Item>
        <Button type="link" style={{ padding: 0 }} onClick={() => setPaste(!paste)}>
          {t(paste ? 'acc.uploadInstead' : 'acc.pasteInstead')}
        </Button>
        {mutation.isError && (
          <Alert type="error" showIcon title={explainError(mutation.error)} style={{ marginTop: 12 }} />
        )}
      </Form>
    </Modal>
  );
}

function EnableSwitch(props: { account: Account }) {
  const t = useT();
  const qc = useQueryClient();
  const mutation = useMutation({
    mutationFn: (enabled: boolean) => updateAccount(props.account.id, { enabled }),
    onSettled: () => void qc.invalidateQueries({ queryKey: ['accounts'] }),
  });
  return (
    <Switch
      size="small"
      aria-label={t('acc.enabledFor', { name: props.account.name })}
      checked={props.account.enabled}
      loading={mutation.isPending}
      onChange={(v) => mutation.mutate(v)}
    />
  );
}

function accountLink(a: Account, operator: boolean, sub = '') {
  return `/accounts/${a.id}${sub}${operator ? `?merchant_id=${a.merchant_id}` : ''}`;
}

function AccountTable(props: { accounts: Account[]; operator: boolean }) {
  const t = useT();
  const { operator } = props;
  return (
    <Table<Account>
      rowKey="id"
      dataSource={props.accounts}
      pagination={false}
      scroll={{ x: 'max-content' }}
      columns={[
        {
          title: t('acc.name'),
          key: 'name',
          render: (_, a) => (
            <Space>
              <TypeTag type={a.type} />
              <Link to={accountLink(a, operator)}>{a.name}</Link>
            </Space>
          ),
        },
        ...(operator
          ? [{ title: t('acc.merchant'), dataIndex: 'merchant_id' as const, key: 'merchant' }]
          : []),
        {
          title: t('acc.status'),
          key: 'status',
          render: (_, a) => (
            <Flex vertical>
              <OnlineBadge account={a} />
              <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                {t('acc.heartbeatShort')} <Ago ms={a.last_heartbeat_at} />
              </Typography.Text>
            </Flex>
          ),
        },
        { title: t('acc.lastPayment'), key: 'lp', render: (_, a) => <Ago ms={a.last_payment_at} /> },
        { title: t('acc.today'), key: 'today', align: 'right', render: (_, a) => formatYuan(a.today) },
        { title: t('acc.rules'), key: 'rules', width: 200, render: (_, a) => <RulesSummary account={a} /> },
        { title: t('acc.fixedCodes'), dataIndex: 'fixed_codes', key: 'codes', align: 'right' },
        { title: t('acc.enabled'), key: 'enabled', render: (_, a) => <EnableSwitch account={a} /> },
        {
          title: t('acc.actions'),
          key: 'actions',
          render: (_, a) => <Link to={accountLink(a, operator, '/pairing')}>{t('acc.pairing')}</Link>,
        },
      ]}
    />
  );
}

/** On a phone: one card per account, everything readable without sideways scrolling. */
function AccountCards(props: { accounts: Account[]; operator: boolean }) {
  const t = useT();
  return (
    <List
      dataSource={props.accounts}
      rowKey="id"
      renderItem={(a) => (
        <Card size="small" style={{ marginBottom: 12 }}>
          <Flex justify="space-between" align="center" gap={8}>
            <Space wrap>
              <TypeTag type={a.type} />
              <Link to={accountLink(a, props.operator)}>
                <Typography.Text strong>{a.name}</Typography.Text>
              </Link>
            </Space>
            <EnableSwitch account={a} />
          </Flex>
          <Flex vertical gap={4} style={{ marginTop: 8 }}>
            <OnlineBadge account={a} />
            <Typography.Text type="secondary">
              {t('acc.lastHeartbeat')}: <Ago ms={a.last_heartbeat_at} />
            </Typography.Text>
            <Typography.Text type="secondary">
              {t('acc.lastPayment')}: <Ago ms={a.last_payment_at} />
            </Typography.Text>
            <Typography.Text>
              {t('acc.today')}: <Typography.Text strong>{formatYuan(a.today)}</Typography.Text>
            </Typography.Text>
            <Typography.Text type="secondary">
              {t('acc.rules')}: <RulesSummary account={a} />
            </Typography.Text>
          </Flex>
          <Space style={{ marginTop: 8 }}>
            <Link to={accountLink(a, props.operator)}>{t('acc.edit')}</Link>
            <Link to={accountLink(a, props.operator, '/pairing')}>{t('acc.pairing')}</Link>
          </Space>
        </Card>
      )}
    />
  );
}

/**
 * Receiving accounts: who is online (the monitor's last heartbeat), the last payment, today's
 * takings and the rules of each; adding one from a photo of its receiving code.
 */
export default function Accounts() {
  const t = useT();
  const screens = Grid.useBreakpoint();
  const phone = screens.md === undefined ? window.innerWidth < 768 : !screens.md;
  const { operator, scope } = useMerchantScope();
  const [adding, setAdding] = useState(false);
  const query = useQuery({
    queryKey: ['accounts', scope],
    queryFn: () => listAccounts(scope),
    // Online state changes with every heartbeat: keep the list current.
    refetchInterval: 15_000,
  });
  const addButton = (
    <Button type="primary" icon={<PlusOutlined aria-hidden />} onClick={() => setAdding(true)}>
      {t('acc.add')}
    </Button>
  );
  return (
    <Page
      titleKey="nav.accounts"
      extra={
        <Space wrap>
          {operator && <MerchantPicker />}
          {addButton}
        </Space>
      }
    >
      <QueryView query={query}>
        {(d) =>
          d.accounts.length === 0 ? (
            <Card>
              <EmptyState description={t('acc.emptyHint')}>
                <Button type="primary" icon={<QrcodeOutlined aria-hidden />} onClick={() => setAdding(true)}>
                  {t('acc.add')}
                </Button>
              </EmptyState>
            </Card>
          ) : (
            <>
              <Typography.Paragraph type="secondary">
                {t('acc.listHint', { seconds: d.offline_after, zone: ZONE_LABEL })}
              </Typography.Paragraph>
              {phone ? (
                <AccountCards accounts={d.accounts} operator={operator} />
              ) : (
                <Card styles={{ body: { padding: 0 } }}>
                  <AccountTable accounts={d.accounts} operator={operator} />
                </Card>
              )}
            </>
          )
        }
      </QueryView>
      <AddAccountModal open={adding} onClose={() => setAdding(false)} />
    </Page>
  );
}

import { ArrowLeftOutlined, LinkOutlined, UploadOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  Alert,
  Button,
  Card,
  Col,
  Descriptions,
  Flex,
  Form,
  Input,
  message,
  Row,
  Select,
  Space,
  Switch,
  Table,
  Typography,
  Upload,
  type UploadFile,
} from 'antd';
import { useState } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import {
  type AccountChanges,
  type AccountDetail as AccountDetailData,
  getAccount,
  importFixedCodes,
  listAccounts,
  updateAccount,
} from '../api';
import { Page } from '../components/Page';
import { QueryView } from '../components/PageState';
import { useT } from '../i18n';
import { formatYuan, parsePositiveCents } from '../money';
import { formatTime } from '../time';
import {
  Ago,
  explainError,
  fileAsDataUrl,
  OnlineBadge,
  QrUpload,
  TypeTag,
  useMerchantScope,
} from './Accounts';

const WINDOW = /^\s*([01]?\d|2[0-3]):[0-5]\d\s*-\s*([01]?\d|2[0-3]):[0-5]\d\s*$/;

interface RulesForm {
  name: string;
  window: string;
  min: string;
  max: string;
  daily_cap: string;
  vmq: boolean;
  vmq_peer_id: number | null;
}

/** An optional amount field: empty, or a positive amount with at most 2 decimals. */
const amountRule = (message: string) => ({
  validator: (_: unknown, v: string | undefined) =>
    !v || v.trim() === '' || parsePositiveCents(v) !== null
      ? Promise.resolve()
      : Promise.reject(new Error(message)),
});

function RulesCard(props: { account: AccountDetailData }) {
  const t = useT();
  const qc = useQueryClient();
  const [toast, toastHolder] = message.useMessage();
  const a = props.account;
  const [form] = Form.useForm<RulesForm>();
  const peers = useQuery({
    queryKey: ['accounts', { merchant_id: a.merchant_id }],
    queryFn: () => listAccounts({ merchant_id: a.merchant_id }).catch(() => listAccounts({})),
  });
  const mutation = useMutation({
    mutationFn: (v: RulesForm) =>
      updateAccount(a.id, {
        name: v.name.trim(),
        window: v.window.trim(),
        min: v.min.trim(),
        max: v.max.trim(),
        daily_cap: v.daily_cap.trim(),
        vmq: v.vmq,
        vmq_peer_id: v.vmq_peer_id ?? null,
      }),
    onSuccess: (d) => {
      qc.setQueryData(['account', a.id], d);
      void qc.invalidateQueries({ queryKey: ['accounts'] });
      void toast.success(t('acc.saved'));
    },
  });
  const otherType = (peers.data?.accounts ?? []).filter(
    (p) => p.type !== a.type && p.merchant_id === a.merchant_id,
  );
  return (
    <Card title={t('acc.rulesTitle')}>
      {toastHolder}
      <Form<RulesForm>
        form={form}
        layout="vertical"
        initialValues={{
          name: a.name,
          window: a.window ?? '',
          min: a.min ?? '',
          max: a.max ?? '',
          daily_cap: a.daily_cap ?? '',
          vmq: a.vmq,
          vmq_peer_id: a.vmq_peer_id,
        }}
        onFinish={(v) => mutation.mutate(v)}
      >
        <Form.Item
          label={t('acc.name')}
          name="name"
          rules={[{ required: true, whitespace: true, max: 100, message: t('acc.nameRequired') }]}
        >
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item
          label={t('acc.window')}
          name="window"
          extra={t('acc.windowHint')}
          rules={[
            {
              validator: (_, v: string) =>
                !v || v.trim() === '' || WINDOW.test(v)
                  ? Promise.resolve()
                  : Promise.reject(new Error(t('acc.windowInvalid'))),
            },
          ]}
        >
          <Input placeholder="09:00-23:00" inputMode="numeric" />
        </Form.Item>
        <Row gutter={12}>
          <Col xs={24} sm={8}>
            <Form.Item label={t('acc.min')} name="min" rules={[amountRule(t('acc.amountInvalid'))]}>
              <Input placeholder={t('acc.noLimit')} inputMode="decimal" prefix="¥" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={8}>
            <Form.Item label={t('acc.max')} name="max" rules={[amountRule(t('acc.amountInvalid'))]}>
              <Input placeholder={t('acc.noLimit')} inputMode="decimal" prefix="¥" />
            </Form.Item>
          </Col>
          <Col xs={24} sm={8}>
            <Form.Item
              label={t('acc.dailyCap')}
              name="daily_cap"
              rules={[amountRule(t('acc.amountInvalid'))]}
            >
              <Input placeholder={t('acc.noLimit')} inputMode="decimal" prefix="¥" />
            </Form.Item>
          </Col>
        </Row>
        <Form.Item label={t('acc.vmq')} name="vmq" valuePropName="checked" extra={t('acc.vmqHint')}>
          <Switch />
        </Form.Item>
        <Form.Item label={t('acc.vmqPeer')} name="vmq_peer_id" extra={t('acc.vmqPeerHint')}>
          <Select<number | null>
            allowClear
            placeholder={t('acc.vmqPeerNone')}
            options={otherType.map((p) => ({ value: p.id, label: `${p.name} (#${p.id})` }))}
          />
        </Form.Item>
        {mutation.isError && (
          <Alert type="error" showIcon title={explainError(mutation.error)} style={{ marginBottom: 12 }} />
        )}
        <Button type="primary" htmlType="submit" loading={mutation.isPending}>
          {t('acc.save')}
        </Button>
      </Form>
    </Card>
  );
}

function QrCard(props: { account: AccountDetailData }) {
  const t = useT();
  const qc = useQueryClient();
  const a = props.account;
  const [replacing, setReplacing] = useState(false);
  const [image, setImage] = useState<string | null>(null);
  const mutation = useMutation({
    mutationFn: (changes: AccountChanges) => updateAccount(a.id, changes),
    onSuccess: (d) => {
      qc.setQueryData(['account', a.id], d);
      void qc.invalidateQueries({ queryKey: ['accounts'] });
      setReplacing(false);
      setImage(null);
    },
  });
  return (
    <Card
      title={t('acc.qrTitle')}
      extra={
        <Button size="small" onClick={() => setReplacing(!replacing)}>
          {t(replacing ? 'acc.cancel' : 'acc.qrReplace')}
        </Button>
      }
    >
      <Flex gap={16} wrap align="center">
        {a.qr_png && (
          <img
            src={a.qr_png}
            alt={t('acc.qrStoredAlt')}
            width={160}
            height={160}
            style={{ imageRendering: 'pixelated' }}
          />
        )}
        <Flex vertical gap={4} style={{ minWidth: 0, flex: 1 }}>
          <Typography.Text type="secondary">{t('acc.qrContent')}</Typography.Text>
          <Typography.Text code copyable style={{ wordBreak: 'break-all' }} data-testid="stored-qr">
            {a.qr_content}
          </Typography.Text>
        </Flex>
      </Flex>
      {replacing && (
        <Flex vertical gap={12} style={{ marginTop: 16 }}>
          <QrUpload onDecoded={(img) => setImage(img)} />
          {mutation.isError && <Alert type="error" showIcon title={explainError(mutation.error)} />}
          <Button
            type="primary"
            disabled={image === null}
            loading={mutation.isPending}
            onClick={() => image && mutation.mutate({ qr_image: image })}
          >
            {t('acc.qrSave')}
          </Button>
        </Flex>
      )}
    </Card>
  );
}

/** Amount a file name stands for (`10.00.png` → "10.00"), as the server reads it. */
function amountOfName(name: string): string {
  const m = /^(.+)\.(png|jpe?g)$/i.exec(name);
  return m && parsePositiveCents(m[1] as string) !== null ? (m[1] as string) : '';
}

function FixedCodesCard(props: { account: AccountDetailData }) {
  const t = useT();
  const qc = useQueryClient();
  const a = props.account;
  const [files, setFiles] = useState<Array<{ file: File; amount: string }>>([]);
  const mutation = useMutation({
    mutationFn: async () =>
      importFixedCodes(
        a.id,
        await Promise.all(
          files.map(async (f) => ({
            name: f.file.name,
            data: await fileAsDataUrl(f.file),
            ...(f.amount.trim() === '' ? {} : { amount: f.amount.trim() }),
          })),
        ),
      ),
    onSuccess: () => {
      setFiles([]);
      void qc.invalidateQueries({ queryKey: ['account', a.id] });
      void qc.invalidateQueries({ queryKey: ['accounts'] });
    },
  });
  const isImage = (name: string) => /\.(png|jpe?g)$/i.test(name);
  const fileList: UploadFile[] = files.map((f, i) => ({ uid: String(i), name: f.file.name, status: 'done' }));
  return (
    <Card title={t('acc.codesTitle', { n: a.codes.length })}>
      <Typography.Paragraph type="secondary">{t('acc.codesHint')}</Typography.Paragraph>
      {a.codes.length > 0 && (
        <Table
          size="small"
          rowKey="amount"
          dataSource={a.codes}
          pagination={a.codes.length > 10 ? { pageSize: 10 } : false}
          scroll={{ x: 'max-content' }}
          style={{ marginBottom: 16 }}
          columns={[
            {
              title: t('acc.codeAmount'),
              dataIndex: 'amount',
              key: 'amount',
              render: (v: string) => formatYuan(v),
            },
            {
              title: t('acc.qrContent'),
              dataIndex: 'content',
              key: 'content',
              render: (v: string) => (
                <Typography.Text code style={{ wordBreak: 'break-all' }}>
                  {v}
                </Typography.Text>
              ),
            },
          ]}
        />
      )}
      <Upload
        multiple
        accept=".csv,.txt,image/png,image/jpeg"
        fileList={fileList}
        beforeUpload={(file) => {
          setFiles((prev) => [...prev, { file, amount: amountOfName(file.name) }]);
          return false;
        }}
        onRemove={(f) => setFiles((prev) => prev.filter((_, i) => String(i) !== f.uid))}
        showUploadList={false}
      >
        <Button icon={<UploadOutlined aria-hidden />}>{t('acc.codesPick')}</Button>
      </Upload>
      {files.length > 0 && (
        <Flex vertical gap={8} style={{ marginTop: 12 }}>
          {files.map((f, i) => (
            <Flex key={`${f.file.name}-${i}`} gap={8} align="center" wrap>
              <Typography.Text style={{ minWidth: 120, wordBreak: 'break-all' }}>
                {f.file.name}
              </Typography.Text>
              {isImage(f.file.name) && (
                <Input
                  aria-label={t('acc.codeAmountFor', { name: f.file.name })}
                  placeholder={t('acc.codeAmountPlaceholder')}
                  value={f.amount}
                  prefix="¥"
                  inputMode="decimal"
                  style={{ width: 140 }}
                  onChange={(e) =>
                    setFiles((prev) => prev.map((p, j) => (j === i ? { ...p, amount: e.target.value } : p)))
                  }
                />
              )}
              <Button type="link" onClick={() => setFiles((prev) => prev.filter((_, j) => j !== i))}>
                {t('acc.remove')}
              </Button>
            </Flex>
          ))}
          <Space>
            <Button type="primary" loading={mutation.isPending} onClick={() => mutation.mutate()}>
              {t('acc.codesImport', { n: files.length })}
            </Button>
            <Button onClick={() => setFiles([])}>{t('acc.cancel')}</Button>
          </Space>
        </Flex>
      )}
      {mutation.isError && (
        <Alert type="error" showIcon title={explainError(mutation.error)} style={{ marginTop: 12 }} />
      )}
      {mutation.isSuccess && (
        <Alert
          type="success"
          showIcon
          title={t('acc.codesImported', {
            n: mutation.data.imported,
            amounts: mutation.data.amounts.join(', '),
          })}
          style={{ marginTop: 12 }}
        />
      )}
    </Card>
  );
}

function EnabledToggle(props: { account: AccountDetailData }) {
  const t = useT();
  const qc = useQueryClient();
  const mutation = useMutation({
    mutationFn: (enabled: boolean) => updateAccount(props.account.id, { enabled }),
    onSuccess: (d) => {
      qc.setQueryData(['account', props.account.id], d);
      void qc.invalidateQueries({ queryKey: ['accounts'] });
    },
  });
  return (
    <Space>
      <Switch
        aria-label={t('acc.enabled')}
        checked={props.account.enabled}
        loading={mutation.isPending}
        onChange={(v) => mutation.mutate(v)}
      />
      <span>{t(props.account.enabled ? 'acc.enabledOn' : 'acc.enabledOff')}</span>
    </Space>
  );
}

/** One receiving account: its state, its QR code (replace from an image), rules, fixed-amount codes. */
export default function AccountDetail() {
  const t = useT();
  const id = Number(useParams().id);
  const navigate = useNavigate();
  const { operator } = useMerchantScope();
  const query = useQuery({
    queryKey: ['account', id],
    queryFn: () => getAccount(id),
    enabled: Number.isSafeInteger(id) && id > 0,
    refetchInterval: 15_000,
  });
  const suffix = operator && query.data ? `?merchant_id=${query.data.merchant_id}` : '';
  return (
    <Page
      titleKey="acc.detailTitle"
      extra={
        <Space wrap>
          <Link to={`/accounts${suffix}`}>
            <ArrowLeftOutlined aria-hidden /> {t('acc.backToList')}
          </Link>
          {query.data && (
            <Button
              icon={<LinkOutlined aria-hidden />}
              onClick={() => void navigate(`/accounts/${id}/pairing${suffix}`)}
            >
              {t('acc.pairing')}
            </Button>
          )}
        </Space>
      }
    >
      <QueryView query={query}>
        {(a) => (
          <Flex vertical gap={16}>
            <Card>
              <Descriptions
                title={
                  <Space wrap>
                    <TypeTag type={a.type} />
                    <span>{a.name}</span>
                  </Space>
                }
                extra={<EnabledToggle account={a} />}
                column={{ xs: 1, sm: 2, lg: 3 }}
                items={[
                  { key: 'status', label: t('acc.status'), children: <OnlineBadge account={a} /> },
                  { key: 'hb', label: t('acc.lastHeartbeat'), children: <Ago ms={a.last_heartbeat_at} /> },
                  { key: 'lp', label: t('acc.lastPayment'), children: <Ago ms={a.last_payment_at} /> },
                  { key: 'today', label: t('acc.today'), children: formatYuan(a.today) },
                  { key: 'id', label: t('acc.accountId'), children: a.id },
                  ...(operator
                    ? [{ key: 'merchant', label: t('acc.merchant'), children: a.merchant_id }]
                    : []),
                  { key: 'created', label: t('acc.created'), children: formatTime(a.created_at) },
                ]}
              />
              {!a.online && (
                <Alert
                  type="info"
                  showIcon
                  style={{ marginTop: 12 }}
                  title={t('acc.offlineHint')}
                  action={<Link to={`/accounts/${id}/pairing${suffix}`}>{t('acc.pairing')}</Link>}
                />
              )}
            </Card>
            <Row gutter={[16, 16]}>
              <Col xs={24} lg={12}>
                <Flex vertical gap={16}>
                  <QrCard account={a} />
                  <FixedCodesCard account={a} />
                </Flex>
              </Col>
              <Col xs={24} lg={12}>
                <RulesCard
                  key={`${a.id}-${a.name}-${a.window}-${a.min}-${a.max}-${a.daily_cap}-${a.vmq}-${a.vmq_peer_id}`}
                  account={a}
                />
              </Col>
            </Row>
          </Flex>
        )}
      </QueryView>
    </Page>
  );
}

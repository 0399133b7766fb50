import { PlusOutlined } from '@ant-design/icons';
import { useInfiniteQuery, useMutation, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Button,
  Card,
  Checkbox,
  Flex,
  Form,
  Grid,
  Input,
  InputNumber,
  Modal,
  Popconfirm,
  Space,
  Switch,
  Table,
  Typography,
} from 'antd';
import { useState } from 'react';
import { Link } from 'react-router';
import {
  type AdminMerchant,
  createMerchant,
  type MerchantChanges,
  listMerchants,
  updateMerchant,
} from '../api';
import { Page } from '../components/Page';
import { EmptyState, ErrorState, Loading } from '../components/PageState';
import { useT } from '../i18n';
import { formatTimeBare } from '../time';
import { explainError } from './Accounts';

const PAGE = 50;
const URL_SHAPE = /^https?:\/\/\S+$/i;

function AddMerchant(props: { open: boolean; onClose: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [form] = Form.useForm<{
    name: string;
    notify_url: string;
    return_url: string;
    timeout_url?: string;
  }>();
  const add = useMutation({
    mutationFn: createMerchant,
    onSuccess: (m) => {
      void qc.invalidateQueries({ queryKey: ['merchants'] });
      void message.success(t('mer.created', { name: m.name }));
      form.resetFields();
      props.onClose();
    },
  });
  const url = [{ required: true, pattern: URL_SHAPE, message: t('mer.urlRequired') }];
  return (
    <Modal
      open={props.open}
      title={t('mer.addTitle')}
      onCancel={props.onClose}
      okText={t('mer.create')}
      cancelText={t('mer.cancel')}
      confirmLoading={add.isPending}
      onOk={() => form.submit()}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        onFinish={(v) =>
          add.mutate({
            name: v.name,
            notify_url: v.notify_url.trim(),
            return_url: v.return_url.trim(),
            timeout_url: v.timeout_url?.trim() || null,
          })
        }
      >
        <Form.Item
          label={t('mer.name')}
          name="name"
          rules={[{ required: true, whitespace: true, message: t('mer.nameRequired') }]}
        >
          <Input maxLength={100} />
        </Form.Item>
        <Form.Item label={t('mer.notifyUrl')} name="notify_url" rules={url}>
          <Input inputMode="url" placeholder="https://shop.example.com/pay/notify" />
        </Form.Item>
        <Form.Item label={t('mer.returnUrl')} name="return_url" rules={url}>
          <Input inputMode="url" placeholder="https://shop.example.com/pay/return" />
        </Form.Item>
        <Form.Item
          label={t('mer.timeoutUrl')}
          name="timeout_url"
          rules={[{ pattern: URL_SHAPE, message: t('mer.urlRequired') }]}
        >
          <Input inputMode="url" />
        </Form.Item>
        {add.isError && <Typography.Text type="danger">{explainError(add.error)}</Typography.Text>}
      </Form>
    </Modal>
  );
}

function QuotaDialog(props: {
  merchant: AdminMerchant | null;
  onClose: () => void;
  onSave: (q: number | null) => void;
}) {
  const t = useT();
  const [value, setValue] = useState<number | null>(null);
  const m = props.merchant;
  return (
    <Modal
      open={m !== null}
      title={t('mer.quotaTitle')}
      onCancel={props.onClose}
      okText={t('mer.save')}
      cancelText={t('mer.cancel')}
      onOk={() => props.onSave(value)}
      afterOpenChange={(open) => open && setValue(m?.daily_quota ?? null)}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('mer.quotaHint')}</Typography.Paragraph>
      <InputNumber<number>
        aria-label={t('mer.quotaField')}
        min={0}
        max={100_000_000}
        precision={0}
        value={value}
        onChange={setValue}
        style={{ width: 200 }}
      />
    </Modal>
  );
}

/**
 * The operator's merchants: newest first (keyset pages), a name filter, a new merchant, and per
 * merchant its switches (enabled, API orders, Alipay, WeChat) and daily quota. Changes go through
 * the merchant service and are audited; secrets are shown on the merchant's Settings page only.
 */
export default function Merchants() {
  const t = useT();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const screens = Grid.useBreakpoint();
  const phone = screens.md === undefined ? window.innerWidth < 768 : !screens.md;
  const [search, setSearch] = useState('');
  const [adding, setAdding] = useState(false);
  const [quotaOf, setQuotaOf] = useState<AdminMerchant | null>(null);
  const query = useInfiniteQuery({
    queryKey: ['merchants', search],
    queryFn: ({ pageParam }) =>
      listMerchants({ search: search || undefined, cursor: pageParam, limit: PAGE }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
  });
  const change = useMutation({
    mutationFn: (v: { id: number; changes: MerchantChanges }) => updateMerchant(v.id, v.changes),
    onSuccess: () => {
      void qc.invalidateQueries({ queryKey: ['merchants'] });
      void message.success(t('mer.saved'));
    },
    onError: (err) => void message.error(explainError(err)),
  });
  const set = (m: AdminMerchant, changes: MerchantChanges) => change.mutate({ id: m.id, changes });
  const rows = query.data?.pages.flatMap((p) => p.merchants) ?? [];
  const busy = (m: AdminMerchant) => change.isPending && change.variables?.id === m.id;

  return (
    <Page
      titleKey="nav.merchants"
      extra={
        <Button type="primary" icon={<PlusOutlined aria-hidden />} onClick={() => setAdding(true)}>
          {t('mer.add')}
        </Button>
      }
    >
      <Input.Search
        aria-label={t('mer.search')}
        placeholder={t('mer.search')}
        allowClear
        maxLength={100}
        onSearch={(v) => setSearch(v.trim())}
        style={{ maxWidth: 360, marginBottom: 16 }}
      />
      {query.isPending ? (
        <Loading />
      ) : query.isError ? (
        <ErrorState error={query.error} onRetry={() => void query.refetch()} />
      ) : rows.length === 0 ? (
        <Card>
          <EmptyState description={search ? t('mer.noMatch', { q: search }) : t('mer.empty')}>
            {!search && <Typography.Text type="secondary">{t('mer.emptyHint')}</Typography.Text>}
          </EmptyState>
        </Card>
      ) : (
        <Card styles={{ body: { padding: 0 } }}>
          <Table<AdminMerchant>
            rowKey="id"
            dataSource={rows}
            pagination={false}
            size={phone ? 'small' : 'middle'}
            scroll={{ x: 'max-content' }}
            columns={[
              { title: t('mer.id'), dataIndex: 'id', key: 'id', width: 60 },
              {
                title: t('mer.name'),
                key: 'name',
                render: (_, m) => (
                  <Flex vertical gap={2}>
                    <Typography.Text strong>{m.name}</Typography.Text>
                    <Typography.Text type="secondary" copyable style={{ fontSize: 12 }}>
                      {m.appkey}
                    </Typography.Text>
                  </Flex>
                ),
              },
              {
                title: t('mer.enabled'),
                key: 'enabled',
                render: (_, m) =>
                  m.enabled ? (
                    <Popconfirm
                      title={t('mer.disableConfirm', { name: m.name })}
                      okText={t('mer.disable')}
                      cancelText={t('mer.cancel')}
                      onConfirm={() => set(m, { enabled: false })}
                    >
                      <Switch checked aria-label={`${t('mer.enabled')}: ${m.name}`} loading={busy(m)} />
                    </Popconfirm>
                  ) : (
                    <Switch
                      checked={false}
                      aria-label={`${t('mer.enabled')}: ${m.name}`}
                      loading={busy(m)}
                      onChange={() => set(m, { enabled: true })}
                    />
                  ),
              },
              {
                title: t('mer.api'),
                key: 'api',
                render: (_, m) => (
                  <Switch
                    checked={m.api_enabled}
                    aria-label={`${t('mer.api')}: ${m.name}`}
                    loading={busy(m)}
                    onChange={(v) => set(m, { api_enabled: v })}
                  />
                ),
              },
              {
                title: t('mer.types'),
                key: 'types',
                render: (_, m) => (
                  <Space size={4} wrap>
                    <Checkbox
                      checked={m.alipay_enabled}
                      onChange={(e) => set(m, { alipay_enabled: e.target.checked })}
                    >
                      {t('mer.alipay')}
                    </Checkbox>
                    <Checkbox
                      checked={m.wechat_enabled}
                      onChange={(e) => set(m, { wechat_enabled: e.target.checked })}
                    >
                      {t('mer.wechat')}
                    </Checkbox>
                  </Space>
                ),
              },
              {
                title: t('mer.quota'),
                key: 'quota',
                render: (_, m) => (
                  <Space size={4} wrap>
                    <span style={{ whiteSpace: 'nowrap' }}>
                      {m.daily_quota === null
                        ? t('mer.quotaNone', { used: m.api_orders_today })
                        : t('mer.quotaUsed', { used: m.api_orders_today, quota: m.daily_quota })}
                    </span>
                    <Button
                      size="small"
                      type="link"
                      onClick={() => setQuotaOf(m)}
                      aria-label={`${t('mer.quotaEdit')}: ${m.name}`}
                    >
                      {t('mer.quotaEdit')}
                    </Button>
                  </Space>
                ),
              },
              {
                title: t('mer.createdAt'),
                key: 'created',
                responsive: ['lg'],
                render: (_, m) => (
                  <span style={{ whiteSpace: 'nowrap' }}>{formatTimeBare(m.created_at)}</span>
                ),
              },
              {
                title: t('mer.actions'),
                key: 'actions',
                render: (_, m) => (
                  <Space size={8}>
                    <Link to={`/settings?merchant_id=${m.id}`}>{t('mer.settings')}</Link>
                    <Link to={`/?merchant_id=${m.id}`}>{t('mer.dashboard')}</Link>
                  </Space>
                ),
              },
            ]}
          />
          {query.hasNextPage && (
            <Flex justify="center" style={{ padding: 12 }}>
              <Button onClick={() => void query.fetchNextPage()} loading={query.isFetchingNextPage}>
                {t('mer.more')}
              </Button>
            </Flex>
          )}
        </Card>
      )}
      <AddMerchant open={adding} onClose={() => setAdding(false)} />
      <QuotaDialog
        merchant={quotaOf}
        onClose={() => setQuotaOf(null)}
        onSave={(q) => {
          if (quotaOf) set(quotaOf, { daily_quota: q });
          setQuotaOf(null);
        }}
      />
    </Page>
  );
}

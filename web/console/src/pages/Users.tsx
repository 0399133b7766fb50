import { PlusOutlined } from '@ant-design/icons';
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import {
  App,
  Button,
  Card,
  Drawer,
  Flex,
  Form,
  Grid,
  Input,
  InputNumber,
  List,
  Modal,
  Popconfirm,
  Radio,
  Space,
  Table,
  Tag,
  Typography,
} from 'antd';
import { useState } from 'react';
import {
  type AdminUser,
  addUser,
  listUserSessions,
  listUsers,
  resetUserPassword,
  revokeAllUserSessions,
  revokeUserSession,
  type Role,
  setUserDisabled,
} from '../api';
import { Page } from '../components/Page';
import { EmptyState, QueryView } from '../components/PageState';
import { useT } from '../i18n';
import { useSession } from '../session';
import { formatTime, formatTimeBare } from '../time';
import { explainError } from './Accounts';

function AddUser(props: { open: boolean; onClose: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [form] = Form.useForm<{ email: string; password: string; role: Role; merchant_id?: number }>();
  const role = Form.useWatch('role', form);
  const add = useMutation({
    mutationFn: addUser,
    onSuccess: (u) => {
      void qc.invalidateQueries({ queryKey: ['users'] });
      void message.success(t('usr.created', { email: u.email }));
      form.resetFields();
      props.onClose();
    },
  });
  return (
    <Modal
      open={props.open}
      title={t('usr.addTitle')}
      onCancel={props.onClose}
      okText={t('usr.create')}
      cancelText={t('usr.cancel')}
      confirmLoading={add.isPending}
      onOk={() => form.submit()}
      destroyOnHidden
    >
      <Form
        form={form}
        layout="vertical"
        initialValues={{ role: 'merchant' }}
        onFinish={(v) =>
          add.mutate({
            email: v.email.trim(),
            password: v.password,
            role: v.role,
            merchant_id: v.role === 'merchant' ? (v.merchant_id ?? null) : null,
          })
        }
      >
        <Form.Item
          label={t('usr.email')}
          name="email"
          rules={[{ required: true, type: 'email', message: t('signIn.emailInvalid') }]}
        >
          <Input type="email" autoComplete="off" maxLength={254} />
        </Form.Item>
        <Form.Item
          label={t('usr.password')}
          name="password"
          extra={t('usr.passwordHint')}
          rules={[{ required: true, min: 8, message: t('usr.passwordRequired') }]}
        >
          <Input.Password autoComplete="new-password" maxLength={256} />
        </Form.Item>
        <Form.Item label={t('usr.role')} name="role">
          <Radio.Group
            options={[
              { value: 'merchant', label: t('role.merchant') },
              { value: 'operator', label: t('role.operator') },
            ]}
          />
        </Form.Item>
        {role === 'merchant' && (
          <Form.Item
            label={t('usr.merchantId')}
            name="merchant_id"
            rules={[{ required: true, message: t('usr.merchantIdRequired') }]}
          >
            <InputNumber<number> min={1} precision={0} style={{ width: 200 }} />
          </Form.Item>
        )}
        {add.isError && <Typography.Text type="danger">{explainError(add.error)}</Typography.Text>}
      </Form>
    </Modal>
  );
}

function ResetPassword(props: { user: AdminUser | null; onClose: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const [form] = Form.useForm<{ password: string }>();
  const reset = useMutation({
    mutationFn: (password: string) => resetUserPassword(props.user?.id as number, password),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: ['users'] });
      void message.success(t('usr.resetDone', { n: r.sessions_revoked }));
      props.onClose();
    },
  });
  return (
    <Modal
      open={props.user !== null}
      title={t('usr.resetTitle', { email: props.user?.email ?? '' })}
      onCancel={props.onClose}
      okText={t('mer.save')}
      cancelText={t('usr.cancel')}
      confirmLoading={reset.isPending}
      onOk={() => form.submit()}
      afterOpenChange={(open) => {
        if (open) {
          form.resetFields();
          reset.reset();
        }
      }}
      destroyOnHidden
    >
      <Typography.Paragraph type="secondary">{t('usr.resetHint')}</Typography.Paragraph>
      <Form form={form} layout="vertical" onFinish={(v) => reset.mutate(v.password)}>
        <Form.Item
          label={t('usr.newPassword')}
          name="password"
          rules={[{ required: true, min: 8, message: t('usr.passwordRequired') }]}
        >
          <Input.Password autoComplete="new-password" maxLength={256} />
        </Form.Item>
        {reset.isError && <Typography.Text type="danger">{explainError(reset.error)}</Typography.Text>}
      </Form>
    </Modal>
  );
}

function Sessions(props: { user: AdminUser | null; onClose: () => void }) {
  const t = useT();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const id = props.user?.id;
  const query = useQuery({
    queryKey: ['user-sessions', id],
    queryFn: () => listUserSessions(id as number),
    enabled: id !== undefined,
  });
  const done = (r: { revoked: number }) => {
    void qc.invalidateQueries({ queryKey: ['user-sessions', id] });
    void qc.invalidateQueries({ queryKey: ['users'] });
    void message.success(t('usr.revoked', { n: r.revoked }));
  };
  const one = useMutation({
    mutationFn: (sid: string) => revokeUserSession(id as number, sid),
    onSuccess: done,
  });
  const all = useMutation({ mutationFn: () => revokeAllUserSessions(id as number), onSuccess: done });
  const failed = one.error ?? all.error;
  return (
    <Drawer
      open={props.user !== null}
      onClose={props.onClose}
      title={t('usr.sessionsTitle', { email: props.user?.email ?? '' })}
      size={420}
      extra={
        <Button
          danger
          onClick={() => all.mutate()}
          loading={all.isPending}
          disabled={!query.data?.sessions.length}
        >
          {t('usr.revokeAll')}
        </Button>
      }
    >
      {failed && <Typography.Paragraph type="danger">{explainError(failed)}</Typography.Paragraph>}
      <QueryView query={query} isEmpty={(d) => d.sessions.length === 0} empty={t('usr.noSessions')}>
        {(d) => (
          <List
            dataSource={d.sessions}
            renderItem={(s) => (
              <List.Item
                actions={[
                  <Button
                    key="revoke"
                    size="small"
                    onClick={() => one.mutate(s.id)}
                    loading={one.isPending && one.variables === s.id}
                  >
                    {t('usr.revoke')}
                  </Button>,
                ]}
              >
                <Flex vertical gap={2} style={{ minWidth: 0 }}>
                  <Space size={6} wrap>
                    <Typography.Text>{s.ip}</Typography.Text>
                    {s.current && <Tag color="blue">{t('usr.thisSession')}</Tag>}
                  </Space>
                  <Typography.Text
                    type="secondary"
                    ellipsis={{ tooltip: s.user_agent }}
                    style={{ fontSize: 12 }}
                  >
                    {s.user_agent || '—'}
                  </Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t('usr.sessionStarted', { time: formatTime(s.created_at) })}
                  </Typography.Text>
                  <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                    {t('usr.sessionSeen', { time: formatTime(s.last_seen_at) })}
                  </Typography.Text>
                </Flex>
              </List.Item>
            )}
          />
        )}
      </QueryView>
    </Drawer>
  );
}

/**
 * The operator's users page: operators and merchant users, a new one, disabling or enabling one
 * (signed out at once), a new password, and its sessions. Every change is audited.
 */
export default function Users() {
  const t = useT();
  const { message } = App.useApp();
  const qc = useQueryClient();
  const me = useSession().data?.user.id;
  const screens = Grid.useBreakpoint();
  const phone = screens.md === undefined ? window.innerWidth < 768 : !screens.md;
  const [adding, setAdding] = useState(false);
  const [resetting, setResetting] = useState<AdminUser | null>(null);
  const [sessionsOf, setSessionsOf] = useState<AdminUser | null>(null);
  const query = useQuery({ queryKey: ['users'], queryFn: listUsers });
  const toggle = useMutation({
    mutationFn: (v: { user: AdminUser; disabled: boolean }) => setUserDisabled(v.user.id, v.disabled),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['users'] }),
    onError: (err) => void message.error(explainError(err)),
  });

  return (
    <Page
      titleKey="nav.users"
      extra={
        <Button type="primary" icon={<PlusOutlined aria-hidden />} onClick={() => setAdding(true)}>
          {t('usr.add')}
        </Button>
      }
    >
      <QueryView query={query} isEmpty={(d) => d.users.length === 0} empty={<EmptyState />}>
        {(d) => (
          <Card styles={{ body: { padding: 0 } }}>
            <Table<AdminUser>
              rowKey="id"
              dataSource={d.users}
              pagination={false}
              size={phone ? 'small' : 'middle'}
              scroll={{ x: 'max-content' }}
              columns={[
                {
                  title: t('usr.email'),
                  key: 'email',
                  render: (_, u) => (
                    <Flex vertical gap={2}>
                      <Typography.Text>
                        {u.email}{' '}
                        {u.id === me && <Typography.Text type="secondary">{t('usr.you')}</Typography.Text>}
                      </Typography.Text>
                      <Space size={4}>
                        <Tag color={u.role === 'operator' ? 'gold' : 'default'}>{t(`role.${u.role}`)}</Tag>
                        {u.merchant_id !== null && (
                          <Typography.Text type="secondary" style={{ fontSize: 12 }}>
                            {t('usr.merchantOf', { id: u.merchant_id })}
                          </Typography.Text>
                        )}
                      </Space>
                    </Flex>
                  ),
                },
                {
                  title: t('usr.status'),
                  key: 'status',
                  render: (_, u) =>
                    u.disabled ? (
                      <Tag color="red">{t('usr.disabled')}</Tag>
                    ) : u.locked_until !== null && u.locked_until > Date.now() ? (
                      <Tag color="orange">
                        {t('usr.locked', { time: formatTimeBare(u.locked_until).slice(11) })}
                      </Tag>
                    ) : (
                      <Tag color="green">{t('usr.active')}</Tag>
                    ),
                },
                {
                  title: t('usr.twoFactor'),
                  key: 'totp',
                  responsive: ['md'],
                  render: (_, u) => (u.totp_enabled ? t('usr.on') : t('usr.off')),
                },
                {
                  title: t('usr.lastSignIn'),
                  key: 'last',
                  responsive: ['md'],
                  render: (_, u) =>
                    u.last_sign_in_at === null ? (
                      <Typography.Text type="secondary">{t('usr.never')}</Typography.Text>
                    ) : (
                      <span style={{ whiteSpace: 'nowrap' }}>{formatTimeBare(u.last_sign_in_at)}</span>
                    ),
                },
                {
                  title: t('usr.sessions'),
                  key: 'sessions',
                  responsive: ['md'],
                  render: (_, u) => (
                    <Button type="link" size="small" style={{ padding: 0 }} onClick={() => setSessionsOf(u)}>
                      {u.live_sessions}
                    </Button>
                  ),
                },
                {
                  title: t('usr.actions'),
                  key: 'actions',
                  render: (_, u) => (
                    <Space size={4} wrap>
                      {u.disabled ? (
                        <Button size="small" onClick={() => toggle.mutate({ user: u, disabled: false })}>
                          {t('usr.enable')}
                        </Button>
                      ) : (
                        <Popconfirm
                          title={t('usr.disableConfirm', { email: u.email })}
                          okText={t('usr.disable')}
                          cancelText={t('usr.cancel')}
                          onConfirm={() => toggle.mutate({ user: u, disabled: true })}
                          disabled={u.id === me}
                        >
                          <Button size="small" danger disabled={u.id === me}>
                            {t('usr.disable')}
                          </Button>
                        </Popconfirm>
                      )}
                      <Button size="small" onClick={() => setResetting(u)}>
                        {t('usr.resetPassword')}
                      </Button>
                      <Button size="small" onClick={() => setSessionsOf(u)}>
                        {t('usr.viewSessions')}
                      </Button>
                    </Space>
                  ),
                },
              ]}
            />
          </Card>
        )}
      </QueryView>
      <AddUser open={adding} onClose={() => setAdding(false)} />
      <ResetPassword user={resetting} onClose={() => setResetting(null)} />
      <Sessions user={sessionsOf} onClose={() => setSessionsOf(null)} />
    </Page>
  );
}

// The only place in the UI that calls `invoke`. Every command is typed with
// the bindings generated from the Rust types; every failure becomes an
// `IpcError` carrying the backend's `{ code, message }`.
import { invoke } from "@tauri-apps/api/core";
import { listen, type UnlistenFn } from "@tauri-apps/api/event";
import type { ApiError } from "./bindings/ApiError";
import type { AppSettings } from "./bindings/AppSettings";
import type { AppStatus } from "./bindings/AppStatus";
import type { Client } from "./bindings/Client";
import type { ClientDetail } from "./bindings/ClientDetail";
import type { ClientInput } from "./bindings/ClientInput";
import type { ClientPatch } from "./bindings/ClientPatch";
import type { CreatedVault } from "./bindings/CreatedVault";
import type { ErrorCode } from "./bindings/ErrorCode";
import type { LockedEvent } from "./bindings/LockedEvent";
import type { Matter } from "./bindings/Matter";
import type { MatterFilter } from "./bindings/MatterFilter";
import type { MatterInput } from "./bindings/MatterInput";
import type { MatterPatch } from "./bindings/MatterPatch";
import type { MatterSummary } from "./bindings/MatterSummary";
import type { PartyInput } from "./bindings/PartyInput";
import type { SettingsPatch } from "./bindings/SettingsPatch";
import type { VaultInfo } from "./bindings/VaultInfo";
import type { DoctorReport } from "./bindings/DoctorReport";
import type { DocumentDetail } from "./bindings/DocumentDetail";
import type { DocumentPatch } from "./bindings/DocumentPatch";
import type { DocumentSummary } from "./bindings/DocumentSummary";
import type { FilesDroppedEvent } from "./bindings/FilesDroppedEvent";
import type { ImportOutcome } from "./bindings/ImportOutcome";
import type { WorkProgress } from "./bindings/WorkProgress";
import type { SearchFilter } from "./bindings/SearchFilter";
import type { Mark } from "./bindings/Mark";
import type { PauseReason } from "./bindings/PauseReason";
import type { RequestExport } from "./bindings/RequestExport";
import type { ErasureReport } from "./bindings/ErasureReport";
import type { Extension } from "./bindings/Extension";
import type { RequestInput } from "./bindings/RequestInput";
import type { RequestRow } from "./bindings/RequestRow";
import type { RequestStatus } from "./bindings/RequestStatus";
import type { RequestView } from "./bindings/RequestView";
import type { WithholdReason } from "./bindings/WithholdReason";
import type { SearchPage } from "./bindings/SearchPage";
import type { SavedSearch } from "./bindings/SavedSearch";
import type { StagedFile } from "./bindings/StagedFile";
import type { InboxSettings } from "./bindings/InboxSettings";
import type { InboxStatus } from "./bindings/InboxStatus";
import type { IngestedEvent } from "./bindings/IngestedEvent";
import type { Quarantined } from "./bindings/Quarantined";
import type { Unfiled } from "./bindings/Unfiled";
import type { Verification } from "./bindings/Verification";
import type { PracticePolicy } from "./bindings/PracticePolicy";
import type { PracticePolicyInput } from "./bindings/PracticePolicyInput";
import type { Training } from "./bindings/Training";
import type { TrainingInput } from "./bindings/TrainingInput";
import type { PolicyDue } from "./bindings/PolicyDue";
import type { DestructionReport } from "./bindings/DestructionReport";
import type { Disposal } from "./bindings/Disposal";
import type { DueItem } from "./bindings/DueItem";
import type { Hold } from "./bindings/Hold";
import type { HoldTarget } from "./bindings/HoldTarget";
import type { Policy } from "./bindings/Policy";
import type { PolicyInput } from "./bindings/PolicyInput";
import type { RegisterEntry } from "./bindings/RegisterEntry";
import type { RetentionDueEvent } from "./bindings/RetentionDueEvent";
import type { MatterRetention } from "./bindings/MatterRetention";
import type { BackupStatus } from "./bindings/BackupStatus";
import type { DrillReport } from "./bindings/DrillReport";
import type { StoreKey } from "./bindings/StoreKey";
import type { SnapshotInfo } from "./bindings/SnapshotInfo";
import type { MatterSuggestion } from "./bindings/MatterSuggestion";
import type { CheckRecord } from "./bindings/CheckRecord";
import type { Audience } from "./bindings/Audience";
import type { BreachInput } from "./bindings/BreachInput";
import type { BreachPatch } from "./bindings/BreachPatch";
import type { BreachSummary } from "./bindings/BreachSummary";
import type { DeviceSeen } from "./bindings/DeviceSeen";
import type { IncidentView } from "./bindings/IncidentView";
import type { DeadlineRule } from "./bindings/DeadlineRule";
import type { PolicyVersionInput } from "./bindings/PolicyVersionInput";
import type { NoticeInput } from "./bindings/NoticeInput";
import type { ScopeReport } from "./bindings/ScopeReport";
import type { CheckRequest } from "./bindings/CheckRequest";
import type { CheckSummary } from "./bindings/CheckSummary";
import type { Decision } from "./bindings/Decision";
import type { NewHit } from "./bindings/NewHit";
import type { OcrJob } from "./bindings/OcrJob";
import type { OcrMode } from "./bindings/OcrMode";
import type { OcrOverview } from "./bindings/OcrOverview";
import type { OcrProgress } from "./bindings/OcrProgress";
import type { RecognisedPage } from "./bindings/RecognisedPage";
import type { Consent } from "./bindings/Consent";
import type { ConsentDue } from "./bindings/ConsentDue";
import type { ConsentInput } from "./bindings/ConsentInput";
import type { ConsentFormat } from "./bindings/ConsentFormat";
import type { ConfirmInput } from "./bindings/ConfirmInput";
import type { GiveInput } from "./bindings/GiveInput";
import type { Withdrawal } from "./bindings/Withdrawal";
import type { Share } from "./bindings/Share";
import type { ShareCreated } from "./bindings/ShareCreated";
import type { CourtBundleCreated } from "./bindings/CourtBundleCreated";
import type { CourtBundleRequest } from "./bindings/CourtBundleRequest";
import type { SearchableExport } from "./bindings/SearchableExport";
import type { ShareRequest } from "./bindings/ShareRequest";
import type { FileReturn } from "./bindings/FileReturn";
import type { KeyHolder } from "./bindings/KeyHolder";
import type { KeySaved } from "./bindings/KeySaved";
import type { RecipientKey } from "./bindings/RecipientKey";
import type { ReturnCreated } from "./bindings/ReturnCreated";
import type { ReturnRequest } from "./bindings/ReturnRequest";

/** Raised in the page when any command answers `vault_locked`. */
export const LOCAL_LOCKED_EVENT = "matterbox-vault-locked";

export class IpcError extends Error {
  readonly code: ErrorCode;
  constructor(code: ErrorCode, message: string) {
    super(message);
    this.code = code;
  }
}

function isApiError(value: unknown): value is ApiError {
  return (
    typeof value === "object" &&
    value !== null &&
    typeof (value as ApiError).code === "string" &&
    typeof (value as ApiError).message === "string"
  );
}

async function call<T>(command: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(command, args);
  } catch (err) {
    if (isApiError(err)) {
      // However it happened, a locked vault means the UI must drop what it shows.
      if (err.code === "vault_locked") window.dispatchEvent(new CustomEvent(LOCAL_LOCKED_EVENT));
      throw new IpcError(err.code, err.message);
    }
    throw new IpcError("internal", "Matterbox did not answer as expected. Try again, or restart the app.");
  }
}

export const api = {
  appStatus: () => call<AppStatus>("app_status"),
  /** Warnings about changes saved but not completely tidied up after
   * (each given once). */
  warnings: () => call<string[]>("app_warnings"),
  createVault: (name: string, passphrase: string) => call<CreatedVault>("vault_create", { name, passphrase }),
  unlock: (path: string, passphrase: string) => call<VaultInfo>("vault_unlock", { path, passphrase }),
  recover: (path: string, recoveryKey: string, newPassphrase: string) =>
    call<VaultInfo>("vault_recover", { path, recoveryKey, newPassphrase }),
  lock: () => call<null>("vault_lock"),
  changePassphrase: (current: string, newPassphrase: string) =>
    call<null>("vault_change_passphrase", { current, newPassphrase }),
  checkRecoveryKey: (recoveryKey: string) => call<boolean>("vault_check_recovery_key", { recoveryKey }),
  auditVerify: () => call<Verification>("audit_verify"),
  auditExport: () => call<string | null>("audit_export"),
  /** Saves the compliance report (of one client with `clientId`) via the save dialog; null if cancelled. */
  /** `asOf` is a day (YYYY-MM-DD): the report shows the vault as that day ended; null or today: now. */
  exportReport: (clientId: number | null, asOf: string | null = null) =>
    call<string | null>("report_export", { clientId, asOf }),
  printPage: () => call<null>("print_page"),
  /** Saves the page as printed to a PDF file the user picks; null if closed. */
  savePagePdf: () => call<string | null>("save_page_pdf"),
  ocrLanguagesInstalled: () => call<string[]>("ocr_languages_installed"),
  practicePolicies: () => call<PracticePolicy[]>("policy_list"),
  addPolicy: (input: PracticePolicyInput) => call<PracticePolicy>("policy_add", { input }),
  /** `version` null: the current one; `on` null: today. */
  acknowledgePolicy: (id: number, person: string, version: number | null = null, on: string | null = null) =>
    call<PracticePolicy>("policy_acknowledge", { id, person, version, on }),
  addPolicyVersion: (id: number, input: PolicyVersionInput) => call<PracticePolicy>("policy_add_version", { id, input }),
  trainings: () => call<Training[]>("training_list"),
  addTraining: (input: TrainingInput) => call<Training>("training_add", { input }),
  policiesDue: (within: number) => call<PolicyDue[]>("policies_due", { within }),
  touch: () => call<null>("touch"),
  clients: (search: string | null) => call<Client[]>("client_list", { search }),
  client: (id: number) => call<ClientDetail>("client_get", { id }),
  createClient: (input: ClientInput) => call<Client>("client_create", { input }),
  updateClient: (id: number, patch: ClientPatch) => call<Client>("client_update", { id, patch }),
  matters: (filter: MatterFilter) => call<MatterSummary[]>("matter_list", { filter }),
  matter: (id: number) => call<Matter>("matter_get", { id }),
  openMatter: (input: MatterInput) => call<Matter>("matter_open", { input }),
  updateMatter: (id: number, patch: MatterPatch) => call<Matter>("matter_update", { id, patch }),
  closeMatter: (id: number, on: string | null) => call<Matter>("matter_close", { id, on }),
  reopenMatter: (id: number) => call<Matter>("matter_reopen", { id }),
  addParty: (id: number, party: PartyInput) => call<Matter>("matter_add_party", { id, party }),
  /** The hits the names would find now (not saved, as the user types). */
  conflictPreview: (request: CheckRequest) => call<NewHit[]>("conflict_preview", { request }),
  conflictCheck: (request: CheckRequest) => call<CheckRecord>("conflict_check", { request }),
  conflictChecks: () => call<CheckSummary[]>("conflict_list"),
  conflictCheckRecord: (id: number) => call<CheckRecord>("conflict_get", { id }),
  conflictDecide: (id: number, hit: number, decision: Decision, reason: string) =>
    call<CheckRecord>("conflict_decide", { id, hit, decision, reason }),
  /** A decision on document hit D`hit` (no conflict or conflict). */
  conflictDecideDocument: (id: number, hit: number, decision: Decision, reason: string) =>
    call<CheckRecord>("conflict_decide_document", { id, hit, decision, reason }),
  /** Asks where to save the check as HTML; the path, or null when cancelled. */
  exportConflictCheck: (id: number) => call<string | null>("conflict_export", { id }),
  consents: (client: number | null) => call<Consent[]>("consent_list", { client }),
  consentsDue: (client: number | null, within: number) => call<ConsentDue[]>("consent_due", { client, within }),
  consent: (id: number) => call<Consent>("consent_get", { id }),
  recordConsent: (input: ConsentInput, give: GiveInput | null) => call<Consent>("consent_record", { input, give }),
  giveConsent: (id: number, input: GiveInput) => call<Consent>("consent_give", { id, input }),
  confirmConsent: (id: number, input: ConfirmInput) => call<Consent>("consent_confirm", { id, input }),
  /** Withdraws; the conflict checks that relied on the waiver are re-opened. */
  withdrawConsent: (id: number, reason: string) => call<Withdrawal>("consent_withdraw", { id, reason }),
  reviewConsent: (id: number) => call<Consent>("consent_review", { id }),
  /** Asks where to save the consent; the path, or null when cancelled. */
  exportConsent: (id: number, format: ConsentFormat) => call<string | null>("consent_export", { id, format }),
  requests: () => call<RequestRow[]>("request_list"),
  openRequest: (input: RequestInput) => call<RequestView>("request_open", { input }),
  request: (id: number) => call<RequestView>("request_get", { id }),
  /** Finds everything about the requester (conflict matcher, full-text search). */
  findForRequest: (id: number) => call<RequestView>("request_find", { id }),
  markRequestItem: (id: number, item: number, mark: Mark, reason: WithholdReason | null) =>
    call<RequestView>("request_mark", { id, item, mark, reason }),
  pauseRequest: (id: number, reason: PauseReason) => call<RequestView>("request_pause", { id, reason }),
  resumeRequest: (id: number) => call<RequestView>("request_resume", { id }),
  assessErasure: (id: number) => call<RequestView>("request_assess_erasure", { id }),
  /** Extends the deadline (up to two months, announced within the first month, with reasons). */
  extendRequest: (id: number, extension: Extension) => call<RequestView>("request_extend", { id, extension }),
  /** Erases what can be erased today through the disposition; the passphrase is asked again. */
  eraseForRequest: (id: number, passphrase: string) => call<ErasureReport>("request_erase", { id, passphrase }),
  closeRequest: (id: number, status: RequestStatus) => call<RequestView>("request_close", { id, status }),
  /** Asks for an empty folder and writes the export; null when cancelled. */
  exportRequest: (id: number) => call<RequestExport | null>("request_export", { id }),
  /** Asks for a folder, writes the package there and records it; null when cancelled. */
  createShare: (request: ShareRequest) => call<ShareCreated | null>("share_create", { request }),
  createCourtBundle: (request: CourtBundleRequest) =>
    call<CourtBundleCreated | null>("court_bundle_create", { request }),
  shares: (matterId: number) => call<Share[]>("share_list", { matterId }),
  /** The public key recipients check shared packages with (made on first use). */
  signingKey: () => call<string>("share_signing_key"),
  clientShares: (clientId: number) => call<Share[]>("share_list_client", { clientId }),
  /** The returns among a client's shares. */
  fileReturns: (clientId: number) => call<FileReturn[]>("share_returns", { clientId }),
  /** Asks for a folder, writes the returned file there and records it; null when the picker was cancelled. */
  returnFile: (request: ReturnRequest) => call<ReturnCreated | null>("share_return", { request }),
  /** Stops the running return: it leaves no file. */
  recipientKeys: (holder: KeyHolder) => call<RecipientKey[]>("share_keys", { holder }),
  setRecipientKey: (holder: KeyHolder, key: string) => call<KeySaved>("share_key_set", { holder, key }),
  confirmRecipientKey: (id: number, fingerprint: string) => call<RecipientKey>("share_key_confirm", { id, fingerprint }),
  incidents: () => call<BreachSummary[]>("incident_list"),
  incident: (reference: string) => call<IncidentView>("incident_get", { reference }),
  openIncident: (input: BreachInput) => call<IncidentView>("incident_open", { input }),
  updateIncident: (reference: string, patch: BreachPatch) =>
    call<IncidentView>("incident_update", { reference, patch }),
  /** Verifies the audit log first; says so in the result. */
  incidentScope: (reference: string) => call<ScopeReport>("incident_scope", { reference }),
  recordNotice: (reference: string, notice: NoticeInput) =>
    call<IncidentView>("incident_notify", { reference, notice }),
  incidentTemplate: (reference: string, audience: Audience) =>
    call<string>("incident_template", { reference, audience }),
  incidentDevices: () => call<DeviceSeen[]>("incident_devices"),
  /** Adds an entry to an incident's timeline; `at` as the backend reads it (RFC 3339). */
  addIncidentEvent: (reference: string, at: string, description: string) =>
    call<IncidentView>("incident_add_event", { reference, at, description }),
  /** The deadline rule table (each row with its source). */
  incidentRules: () => call<DeadlineRule[]>("incident_rules"),
  /** Deadlines due soon or passed; polled, so not counted as activity. */
  incidentAlerts: () => call<number>("incident_alerts"),
  /** The plain-text report for a regulator; printing it is audited. */
  incidentReport: (reference: string) => call<string>("incident_report", { reference }),
  removeParty: (id: number, partyId: number) => call<Matter>("matter_remove_party", { id, partyId }),
  addEvent: (id: number, on: string | null, description: string) =>
    call<Matter>("matter_add_event", { id, on, description }),
  settings: () => call<AppSettings>("settings_get"),
  updateSettings: (patch: SettingsPatch) => call<AppSettings>("settings_update", { patch }),
  pickFiles: () => call<StagedFile[]>("document_pick"),
  importStaged: (matterId: number, tokens: number[], allowDuplicate: boolean) =>
    call<ImportOutcome>("document_import_staged", { matterId, tokens, allowDuplicate }),
  /** Stops the file being encrypted now; nothing of it is kept. */
  /** Stops the long work running now (an import, an export, the doctor); it leaves nothing half-done. */
  cancelWork: () => call<null>("work_cancel"),
  documents: (matterId: number, trash: boolean) => call<DocumentSummary[]>("document_list", { matterId, trash }),
  document: (id: number) => call<DocumentDetail>("document_get", { id }),
  /** The content to preview, decrypted in memory by the backend. */
  preview: (id: number, version: number | null) => call<ArrayBuffer>("document_preview", { id, version }),
  updateDocument: (id: number, patch: DocumentPatch) => call<DocumentDetail>("document_update", { id, patch }),
  moveDocument: (id: number, matterId: number) => call<DocumentDetail>("document_move", { id, matterId }),
  trashDocument: (id: number, trashed: boolean) => call<DocumentDetail>("document_trash", { id, trashed }),
  addVersion: (id: number) => call<DocumentDetail | null>("document_add_version", { id }),
  restoreVersion: (id: number, version: number) => call<DocumentDetail>("document_restore_version", { id, version }),
  exportDocument: (id: number, version: number | null) => call<string | null>("document_export", { id, version }),
  exportSearchable: (id: number) => call<SearchableExport | null>("document_export_searchable", { id }),
  openExternal: (id: number) => call<null>("document_open_external", { id }),
  /** Queues a scan's text recognition again (Retry). */
  /** The text recognised in a scan, page by page (the viewer's find searches it). */
  recognisedText: (id: number) => call<RecognisedPage[]>("document_recognised_text", { id }),
  ocrDocument: (id: number, mode: OcrMode) => call<OcrJob>("ocr_document", { id, mode }),
  ocrStatus: () => call<OcrOverview>("ocr_status"),
  search: (text: string, filter: SearchFilter) => call<SearchPage>("document_search", { text, filter }),
  savedSearches: () => call<SavedSearch[]>("saved_search_list"),
  /** Keeps a search under a name; saving a name again replaces its search. */
  saveSearch: (name: string, query: string) => call<SavedSearch>("saved_search_save", { name, query }),
  forgetSavedSearch: (id: number) => call<null>("saved_search_forget", { id }),
  doctor: (fix: boolean, deep: boolean) => call<DoctorReport>("doctor_run", { fix, deep }),
  inboxStatus: () => call<InboxStatus>("inbox_status"),
  inboxPending: (path: string) => call<number>("inbox_pending", { path }),
  inboxSettings: () => call<InboxSettings>("inbox_settings_get"),
  updateInboxSettings: (settings: InboxSettings, takeExistingFiles = false) =>
    call<InboxSettings>("inbox_settings_update", { settings, takeExistingFiles }),
  pickInboxFolder: () => call<string | null>("inbox_pick_folder"),
  scanInbox: () => call<null>("inbox_scan_now"),
  unfiled: () => call<Unfiled[]>("inbox_unfiled"),
  suggestions: (itemId: number) => call<MatterSuggestion[]>("inbox_suggestions", { itemId }),
  fileUnfiled: (itemIds: number[], matterId: number) => call<DocumentSummary[]>("inbox_file", { itemIds, matterId }),
  previewUnfiled: (itemId: number) => call<ArrayBuffer>("inbox_preview", { itemId }),
  discardUnfiled: (itemIds: number[]) => call<number>("inbox_discard", { itemIds }),
  quarantine: () => call<Quarantined[]>("inbox_quarantine"),
  retryQuarantined: (name: string) => call<null>("inbox_retry", { name }),
  inboxFolderFor: (matterId: number) => call<string>("inbox_mkdir", { matterId }),
  policies: () => call<Policy[]>("retention_policies"),
  savePolicy: (id: number | null, input: PolicyInput) => call<Policy>("retention_policy_save", { id, input }),
  setAreaPolicy: (area: string, policy: number | null) => call<null>("retention_set_area_policy", { area, policy }),
  setMatterPolicy: (matterId: number, policy: number | null) =>
    call<null>("retention_set_matter_policy", { matterId, policy }),
  holds: () => call<Hold[]>("retention_holds"),
  placeHold: (target: HoldTarget, id: number, reason: string) => call<Hold>("retention_place_hold", { target, id, reason }),
  releaseHold: (id: number) => call<Hold>("retention_release_hold", { id }),
  due: () => call<DueItem[]>("retention_due"),
  defer: (item: Disposal, until: string) => call<null>("retention_defer", { item, until }),
  destroy: (items: Disposal[], passphrase: string) => call<DestructionReport>("retention_destroy", { items, passphrase }),
  register: () => call<RegisterEntry[]>("retention_register"),
  registerTitles: (titles: boolean | null) => call<boolean>("retention_register_titles", { titles }),
  matterRetention: (matterId: number) => call<MatterRetention>("retention_matter", { matterId }),
  exportCertificate: (certificate: string) => call<string | null>("retention_certificate", { certificate }),
  backupStatus: () => call<BackupStatus>("backup_status"),
  /** Starts a backup; `destination` sets where backups go (a folder, or an
   * object store `s3:…` with `storeKey`, kept in the keychain). */
  runBackup: (destination: string | null, storeKey: StoreKey | null = null) =>
    call<null>("backup_run", { destination, storeKey }),
  cancelBackup: () => call<null>("backup_cancel"),
  drill: () => call<DrillReport>("backup_drill"),
  pickBackupFolder: () => call<string | null>("backup_pick_folder"),
  restoreList: (from: string, storeKey: StoreKey | null, recoveryKey: string) =>
    call<SnapshotInfo[]>("restore_list", { from, storeKey, recoveryKey }),
  restoreBackup: (
    from: string,
    storeKey: StoreKey | null,
    snapshot: string | null,
    name: string,
    recoveryKey: string,
    newPassphrase: string,
  ) => call<VaultInfo>("restore_backup", { from, storeKey, snapshot, name, recoveryKey, newPassphrase }),
};

/** The backend kept a warning for the user (`api.warnings` has it). */
export function onWarnings(callback: () => void): Promise<UnlistenFn> {
  return listen("app-warnings", () => callback());
}

/** A backup or restore drill started or ended. */
export function onBackupChanged(callback: () => void): Promise<UnlistenFn> {
  return listen("backup-changed", () => callback());
}

/** "today", "yesterday", "3 days ago" for an age in hours. */
export function backupAge(hours: number | null): string {
  if (hours === null) return "never";
  if (hours < 24) return "today";
  const days = Math.floor(hours / 24);
  return days === 1 ? "yesterday" : `${days} days ago`;
}

/** The inbox watcher's state, whenever it changes. */
export function onInboxStatus(callback: (status: InboxStatus) => void): Promise<UnlistenFn> {
  return listen<InboxStatus>("inbox-status", (e) => callback(e.payload));
}

/** A scan's page started or recorded by the background OCR worker. */
export function onOcrProgress(callback: (event: OcrProgress) => void): Promise<UnlistenFn> {
  return listen<OcrProgress>("ocr-progress", (e) => callback(e.payload));
}

/** Files the inbox just took in. */
export function onInboxIngested(callback: (event: IngestedEvent) => void): Promise<UnlistenFn> {
  return listen<IngestedEvent>("inbox-ingested", (e) => callback(e.payload));
}

/** Called when files are dropped on the window (staged by the backend). */
/** How far the file being imported is (about every tenth of a second). */
/** How far long work is (an import, an export, the doctor), for its progress bar. */
export function onWorkProgress(callback: (event: WorkProgress) => void): Promise<UnlistenFn> {
  return listen<WorkProgress>("work-progress", (e) => callback(e.payload));
}

export function onFilesDropped(callback: (event: FilesDroppedEvent) => void): Promise<UnlistenFn> {
  return listen<FilesDroppedEvent>("files-dropped", (e) => callback(e.payload));
}

/**
 * Called with true when files are dragged over the window and false when
 * they leave it or are dropped (the window's own drag events).
 */
export async function onDragging(callback: (over: boolean) => void): Promise<UnlistenFn> {
  const off = await Promise.all([
    listen("tauri://drag-enter", () => callback(true)),
    listen("tauri://drag-leave", () => callback(false)),
    listen("tauri://drag-drop", () => callback(false)),
  ]);
  return () => off.forEach((u) => u());
}

/** Called whenever the backend locks the vault (user, idle, sleep, screen lock). */
export function onLocked(callback: (event: LockedEvent) => void): Promise<UnlistenFn> {
  return listen<LockedEvent>("vault-locked", (e) => callback(e.payload));
}

/** What to tell the user about a failure, by code; never a raw error string. */
export function describe(err: unknown): string {
  if (err instanceof IpcError) return err.message;
  return "Something went wrong inside Matterbox. Nothing was changed; try again.";
}

export function codeOf(err: unknown): ErrorCode {
  return err instanceof IpcError ? err.code : "internal";
}

/** The retention scheduler's count of items waiting for approval. */
export function onRetentionDue(callback: (event: RetentionDueEvent) => void): Promise<UnlistenFn> {
  return listen<RetentionDueEvent>("retention-due", (e) => callback(e.payload));
}
